package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Random bodies at every POST endpoint of the OpenAPI document: no answer is a 5xx and no job starts.
 * Endpoints with a body get real path parameters (a registered cluster, an existing backup), so the
 * body's checks are what answers; endpoints without one get unknown ids. The seed is printed with any
 * failure so that a run can be repeated.
 */
class FuzzTests extends EndToEndTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String[] NASTY = {"", " ", "-", "--file=/etc/passwd", "../../etc/passwd", "/", "a\nb", "a\u0000b",
        "'; DROP TABLE x; --", "$(rm -rf /)", "`id`", "\"", "\\", "%00", "\u202e", "x".repeat(10_000), "NaN", "0/0",
        "9999999999999999999999", "-1", "PT-1S", "* * * * *", "Mars/Olympus", "ftp://x", "http://127.0.0.1:1/"};

    @Test
    void randomBodiesNeverGiveA5xxNorStartAJob() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        PgCluster pg = PgCluster.shared();
        api.register("fuzz", pg);
        String backup = api.backup("fuzz", Map.of("kind", "DUMP", "database", "postgres")).path("id").asString();
        api.awaitVerification(backup, java.time.Duration.ofMinutes(1));
        long jobs = api.jobCount();

        JsonNode docs = api.get("/v3/api-docs").json();
        List<String> tried = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = docs.path("paths").properties().iterator(); it.hasNext();) {
            Map.Entry<String, JsonNode> path = it.next();
            JsonNode post = path.getValue().path("post");
            if (post.isMissingNode()) {
                continue;
            }
            boolean hasBody = !post.path("requestBody").isMissingNode();
            List<String> fields = fields(docs, post);
            for (int i = 0; i < 25; i++) {
                String url = path(path.getKey(), hasBody, backup, random);
                String body = JSON.writeValueAsString(body(fields, random));
                Api.Response r = api.post(url, body);
                tried.add(url);
                if (r.status() == 202) {
                    System.out.println("seed " + seed + ": accepted POST " + url + " " + abbreviate(body));
                }
                assertThat(r.status()).as("seed %d: POST %s %s -> %s", seed, url, abbreviate(body), abbreviate(r.body()))
                        .isLessThan(500);
            }
        }
        assertThat(tried).as("the document lists POST endpoints").hasSizeGreaterThan(200);
        assertThat(api.jobCount()).as("seed %d: a fuzzed request started a job", seed).isEqualTo(jobs);
    }

    private static String path(String template, boolean hasBody, String backup, Random random) {
        String unknown = "00000000-0000-0000-0000-00000000000" + random.nextInt(10);
        return template.replace("{name}", hasBody ? "fuzz" : "no-such-cluster")
                .replace("{id}", hasBody && template.startsWith("/api/v1/backups") ? backup : unknown)
                .replaceAll("\\{[^}]+}", "x");
    }

    /** The property names of the operation's request schema, so that bodies hit real fields. */
    private static List<String> fields(JsonNode docs, JsonNode post) {
        List<String> names = new ArrayList<>();
        String ref = post.path("requestBody").path("content").path("application/json").path("schema").path("$ref")
                .asString("");
        if (ref.startsWith("#/components/schemas/")) {
            JsonNode schema = docs.path("components").path("schemas").path(ref.substring("#/components/schemas/".length()));
            schema.path("properties").propertyNames().forEach(names::add);
        }
        names.add("bogus");
        return names;
    }

    private static Object body(List<String> fields, Random random) {
        if (random.nextInt(10) == 0) {
            return value(random, 0);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        for (String field : fields) {
            if (random.nextInt(3) > 0) {
                body.put(field, value(random, 0));
            }
        }
        return body;
    }

    private static Object value(Random random, int depth) {
        switch (random.nextInt(depth > 1 ? 6 : 8)) {
            case 0:
                return null;
            case 1:
                return random.nextBoolean();
            case 2:
                return random.nextInt(3) == 0 ? Long.MAX_VALUE : random.nextInt(3) == 0 ? -random.nextInt(1000) : random.nextInt(100);
            case 3:
                return random.nextDouble() * 1e20;
            case 4:
            case 5:
                return NASTY[random.nextInt(NASTY.length)];
            case 6:
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.add(value(random, depth + 1));
                }
                return list;
            default:
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    String key = NASTY[random.nextInt(NASTY.length)];
                    map.put(key.substring(0, Math.min(20, key.length())) + i, value(random, depth + 1));
                }
                return map;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
