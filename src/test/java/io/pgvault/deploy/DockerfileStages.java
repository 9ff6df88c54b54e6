package io.pgvault.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Dockerfile read as Docker reads it, for running a build stage without a Docker engine: instructions with
 * their continuation lines joined and comments dropped, grouped by stage. {@link #run} plays one stage's
 * WORKDIR, ENV, COPY and RUN instructions in a directory that stands for the container's file system. It knows
 * only what a build stage here needs and refuses the rest (ADD, COPY --from, wildcards, exec-form RUN...), so
 * that a stage it cannot play faithfully fails the test instead of passing a different build.
 */
final class DockerfileStages {

    /** One instruction: its keyword (upper case) and its arguments as written. */
    record Instruction(String keyword, String arguments) {
    }

    /** One stage: {@code FROM image [AS name]} and its instructions. */
    record Stage(String image, String name, List<Instruction> instructions) {

        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }
    }

    private static final Pattern FROM = Pattern.compile("(?i)(\\S+)(?:\\s+AS\\s+(\\S+))?");
    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
    /** An absolute path in a shell command: RUN lines must keep to the stage's directory. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(^|[\\s=;&|(])/[A-Za-z]");

    private final List<Stage> stages;

    private DockerfileStages(List<Stage> stages) {
        this.stages = stages;
    }

    static DockerfileStages read(Path dockerfile) throws IOException {
        List<Stage> stages = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            String text = logical.toString().strip();
            logical.setLength(0);
            String[] parts = text.split("\\s+", 2);
            Instruction instruction = new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1] : "");
            if (instruction.keyword().equals("FROM")) {
                Matcher m = FROM.matcher(instruction.arguments());
                if (!m.matches()) {
                    throw new IllegalArgumentException("cannot read " + text);
                }
                stages.add(new Stage(m.group(1), m.group(2), new ArrayList<>()));
            } else if (stages.isEmpty()) {
                throw new IllegalArgumentException(instruction.keyword() + " before the first FROM");
            } else {
                stages.get(stages.size() - 1).instructions().add(instruction);
            }
        }
        return new DockerfileStages(stages);
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no stage named " + name));
    }

    Stage last() {
        return stages.get(stages.size() - 1);
    }

    /** What a played stage left: its file system and its WORKDIR in it. */
    record Played(Path root, Path workdir) {

        /** A container path (absolute, or relative to the WORKDIR) in the played file system. */
        Path resolve(String containerPath) {
            return containerPath.startsWith("/") ? root.resolve(containerPath.substring(1)) : workdir.resolve(containerPath);
        }
    }

    /**
     * Plays {@code stage} with {@code context} as the build context and {@code root} as the container's file
     * system. RUN commands run with {@code /bin/sh -c} in the WORKDIR, with this process's environment plus the
     * stage's ENV and {@code extraEnvironment}; their output goes to {@code log}. Fails on the first command that
     * exits non-zero or runs past its deadline.
     */
    static Played run(Stage stage, Path context, Path root, Map<String, String> extraEnvironment, Path log,
            java.time.Duration deadline) throws IOException, InterruptedException {
        Played at = new Played(root, root);
        Map<String, String> env = new LinkedHashMap<>();
        for (Instruction i : stage.instructions()) {
            switch (i.keyword()) {
                case "WORKDIR" -> {
                    at = new Played(root, at.resolve(i.arguments()));
                    Files.createDirectories(at.workdir());
                }
                case "ENV" -> env.putAll(envPairs(i.arguments()));
                case "ARG" -> {
                    // a build argument without a value given: nothing to set
                }
                case "COPY" -> copy(i.arguments(), context, at);
                case "RUN" -> shell(i.arguments(), at.workdir(), env, extraEnvironment, log, deadline);
                default -> throw new AssertionError("the build stage uses " + i.keyword() + ", which this test "
                        + "cannot play as Docker would; extend DockerfileStages");
            }
        }
        return at;
    }

    private static Map<String, String> envPairs(String arguments) {
        Map<String, String> pairs = new LinkedHashMap<>();
        Matcher m = ENV_PAIR.matcher(arguments);
        while (m.find()) {
            pairs.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
        }
        if (pairs.isEmpty()) {
            String[] kv = arguments.split("\\s+", 2);
            pairs.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return pairs;
    }

    private static void copy(String arguments, Path context, Played target) throws IOException {
        List<String> words = new ArrayList<>(Arrays.asList(arguments.split("\\s+")));
        if (words.get(0).startsWith("--") || arguments.startsWith("[") || arguments.contains("*")
                || arguments.contains("?")) {
            throw new AssertionError("COPY " + arguments + ": flags, JSON form and wildcards are not played here");
        }
        String destination = words.remove(words.size() - 1);
        Path dest = target.resolve(destination);
        if (words.size() > 1 && !destination.endsWith("/")) {
            throw new AssertionError("COPY " + arguments + ": several sources need a directory destination (/)");
        }
        for (String source : words) {
            Path from = context.resolve(source).normalize();
            if (!from.startsWith(context) || !Files.exists(from)) {
                throw new AssertionError("COPY " + arguments + ": " + source + " is not in the build context");
            }
            if (Files.isDirectory(from)) {
                copyTree(from, dest);
            } else {
                Path to = destination.endsWith("/") ? dest.resolve(from.getFileName().toString()) : dest;
                Files.createDirectories(to.getParent());
                Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Docker copies a directory's contents (not the directory itself) into the destination. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            walk.forEach(p -> {
                Path dest = to.resolve(from.relativize(p).toString());
                try {
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(dest);
                    } else {
                        Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static void shell(String command, Path dir, Map<String, String> env, Map<String, String> extra, Path log,
            java.time.Duration deadline) throws IOException, InterruptedException {
        if (command.startsWith("[")) {
            throw new AssertionError("RUN " + command + ": the exec form is not played here");
        }
        if (ABSOLUTE_PATH.matcher(command).find()) {
            throw new AssertionError("RUN " + command + ": an absolute path would reach outside the stage's "
                    + "directory when played here; keep the build stage's paths relative to its WORKDIR");
        }
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        pb.environment().putAll(extra);
        Process p = pb.start();
        if (!p.waitFor(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("RUN " + command + " did not end within " + deadline + "\n" + tail(log));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("RUN " + command + " failed with exit code " + p.exitValue()
                    + " (as docker build would)\n" + tail(log));
        }
    }

    static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
