package io.pgvault;

import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceRule;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The package boundaries, checked on the compiled classes: features ({@code io.pgvault.<feature>..}) depend on
 * each other without cycles, nothing outside a {@code web} package depends on one, controllers are used by
 * nobody, and every operation says who may call it. The ties that still close a cycle today are listed in
 * {@link #FROZEN}, one dependency each: a new cycle fails here, and an entry goes once its tie is cut.
 */
class ArchitectureTests {

    /**
     * Known dependencies that close a cycle between features (origin class, target feature), to be cut: copy
     * follows a schedule's copyTo after a scheduled backup, while schedule leads to verification (it implements
     * VerificationAfterBackup), verification to recovery (drills) and recovery to copy (reading a backup from a
     * copy). Publishing the schedule's copyTo with the backup's event would cut it.
     */
    static final List<Frozen> FROZEN = List.of(
            new Frozen("io.pgvault.copy.CopyAfterScheduledBackup", "io.pgvault.schedule"));

    record Frozen(String origin, String targetFeature) {
    }

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.pgvault");

    @Test
    void featuresDependOnEachOtherWithoutCycles() {
        SliceRule rule = slices().matching("io.pgvault.(*)..").should().beFreeOfCycles();
        for (Frozen tie : FROZEN) {
            rule = rule.ignoreDependency(describe(tie.origin(), (JavaClass c) -> c.getName().equals(tie.origin())
                    || c.getName().startsWith(tie.origin() + "$")), resideInAPackage(tie.targetFeature() + ".."));
        }
        rule.check(MAIN);
    }

    @Test
    void eachFrozenTieStillExists() {
        for (Frozen tie : FROZEN) {
            assertThat(MAIN.get(tie.origin()).getDirectDependenciesFromSelf().stream()
                    .map(d -> d.getTargetClass().getPackageName()))
                    .as("%s was cut: take it off FROZEN", tie)
                    .anyMatch(p -> p.equals(tie.targetFeature()) || p.startsWith(tie.targetFeature() + "."));
        }
    }

    @Test
    void onlyWebPackagesDependOnWebPackages() {
        noClasses().that().resideOutsideOfPackage("..web..").and().resideInAPackage("io.pgvault.(*)..")
                .should().dependOnClassesThat().resideInAPackage("io.pgvault..web..")
                .because("a feature's services know nothing of HTTP; its web package adapts them")
                .check(MAIN);
    }

    @Test
    void controllersAreUsedByNobody() {
        classes().that().areAnnotatedWith(RestController.class)
                .should().resideInAPackage("..web..")
                .andShould().notBePublic()
                .andShould().onlyHaveDependentClassesThat(describe("the controller itself",
                        (JavaClass c) -> c.getAnnotations().stream().anyMatch(a -> a.getRawType()
                                .isEquivalentTo(RestController.class)) || c.getEnclosingClass().map(e -> e
                                .isAnnotatedWith(RestController.class)).orElse(false)))
                .check(MAIN);
    }

    @Test
    void everyOperationSaysWhoMayCallIt() {
        methods().that().areDeclaredInClassesThat().areAnnotatedWith(RestController.class)
                .and().areAnnotatedWith(GetMapping.class).or().areAnnotatedWith(PostMapping.class)
                .or().areAnnotatedWith(PutMapping.class).or().areAnnotatedWith(PatchMapping.class)
                .or().areAnnotatedWith(DeleteMapping.class).or().areAnnotatedWith(RequestMapping.class)
                .should().beAnnotatedWith(PreAuthorize.class)
                .because("the URL rules only authenticate; access is decided next to each operation (docs/roles.md)")
                .check(MAIN);
    }
}
