package io.pgvault;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.convert.ConversionFailedException;

/**
 * Start-up failures in {@code pgvault.*} settings, told the way an operator fixes them: the key as written,
 * where it came from, and the key that was probably meant, or the values a setting takes. Spring's own
 * report prints the binding target ({@code Bindable@...}) and never suggests anything.
 */
class SettingsFailureAnalyzer extends AbstractFailureAnalyzer<BindException> implements Ordered {

    /** Every known key, in canonical form, {@code *} where a map key (a repository's name) goes. */
    static final List<String> KNOWN = keys("pgvault", PgvaultProperties.class);

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        if (!cause.getName().toString().startsWith("pgvault")) {
            return null;
        }
        UnboundConfigurationPropertiesException unbound = findCause(cause,
                UnboundConfigurationPropertiesException.class);
        if (unbound != null) {
            String description = unbound.getUnboundProperties().stream()
                    .sorted(Comparator.comparing(p -> p.getName().toString()))
                    .map(SettingsFailureAnalyzer::unknown).collect(Collectors.joining("\n"));
            return new FailureAnalysis(description, "Correct or remove the setting; docs/configuration.md lists "
                    + "every pgvault setting.", cause);
        }
        ConversionFailedException conversion = findCause(cause, ConversionFailedException.class);
        if (conversion != null) {
            Class<?> type = conversion.getTargetType().getType();
            String expected = type.isEnum() ? "one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                    : "a value of type " + type.getSimpleName();
            String property = cause.getProperty() == null ? cause.getName().toString()
                    : cause.getProperty().getName().toString();
            return new FailureAnalysis("The setting " + property + " is '" + conversion.getValue() + "'"
                    + origin(cause.getProperty()) + ", but it must be " + expected + ".",
                    "Set " + property + " to " + expected + ".", cause);
        }
        return null;
    }

    private static String unknown(ConfigurationProperty p) {
        String name = p.getName().toString();
        return "pgvault does not know the setting " + name + origin(p)
                + suggestion(name).map(s -> "; did you mean " + s + "?").orElse(".");
    }

    private static String origin(ConfigurationProperty p) {
        return p == null || p.getOrigin() == null ? "" : " (from " + p.getOrigin() + ")";
    }

    /** The known key nearest to {@code name}, if it is near enough to be a typo of it. */
    static Optional<String> suggestion(String name) {
        String plain = name.replaceAll("\\[\\d+]", "");
        String[] segments = plain.split("\\.");
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : KNOWN) {
            String[] k = known.split("\\.");
            if (k.length != segments.length) {
                continue;
            }
            for (int i = 0; i < k.length; i++) {
                k[i] = "*".equals(k[i]) ? segments[i] : k[i];
            }
            String candidate = String.join(".", k);
            int d = io.pgvault.api.EditDistance.between(plain, candidate);
            if (d > 0 && d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        int lastSegment = segments[segments.length - 1].length();
        return bestDistance <= Math.max(2, lastSegment / 3) ? Optional.of(best) : Optional.empty();
    }

    private static List<String> keys(String prefix, Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            String key = prefix + "." + kebab(c.getName());
            Class<?> t = c.getType();
            if (t.isRecord()) {
                keys.addAll(keys(key, t));
            } else if (Map.class.isAssignableFrom(t) && valueType(c.getGenericType()) instanceof Class<?> v
                    && v.isRecord()) {
                keys.addAll(keys(key + ".*", v));
            } else {
                keys.add(key);
            }
        }
        return List.copyOf(keys);
    }

    private static Type valueType(Type map) {
        return map instanceof ParameterizedType p && p.getActualTypeArguments().length == 2
                ? p.getActualTypeArguments()[1] : null;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
