// The heartbeat's work outside the monitor, mimicked (written for hbsim; no RocketMQ code).
// What a 4.9.8 HEART_BEAT costs a HeartbeatThread before registerProducer
// (broker/.../processor/ClientManageProcessor.heartBeat): decode the request body (HeartbeatData, JSON),
// build the ClientChannelInfo, ConsumerManager.registerConsumer for each consumer group (ConcurrentHashMap
// updates of the group, its channel table and its subscription table), then build the response.
// Mimicked here: the body is a JSON-like UTF-8 text of one consumer group with one subscription and one
// producer group (CLIENT_INNER_PRODUCER), decoded by a small hand-written scanner into objects; then the
// registerConsumer-like CHM updates and a response object. NOT mimicked: the Netty read and frame decode,
// fastjson's reflection, the header decode, the response write and flush, logging. The figure is a lower
// bound of the real unlocked cost.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class Heartbeat {
    /** A decoded request. */
    static final class Request {
        String clientId;
        final List<String> producerGroups = new ArrayList<>();
        final List<String> consumerGroups = new ArrayList<>();
        final List<String> topics = new ArrayList<>();
        final Map<String, String> ext = new HashMap<>();
    }

    /** The encoded body a client sends (built once per client; the broker decodes it per heartbeat). */
    static byte[] encode(long client, int consumerGroup) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("{\"clientID\":\"10.1.").append(client % 250).append('.').append(client / 250 % 250)
                .append("@").append(client).append("#3735928559\",")
                .append("\"consumerDataSet\":[{\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",")
                .append("\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":\"consumer-group-").append(consumerGroup)
                .append("\",\"messageModel\":\"CLUSTERING\",\"subscriptionDataSet\":[{\"classFilterMode\":false,")
                .append("\"codeSet\":[],\"expressionType\":\"TAG\",\"subString\":\"*\",\"subVersion\":")
                .append(1700000000000L + client).append(",\"tagsSet\":[],\"topic\":\"topic-").append(consumerGroup)
                .append("\"}],\"unitMode\":false}],")
                .append("\"producerDataSet\":[{\"groupName\":\"CLIENT_INNER_PRODUCER\"}]}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes the body: every "key":"value" pair, grouped by key. */
    static Request decode(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8);
        Request r = new Request();
        int i = 0;
        int n = s.length();
        String lastGroupContext = null;
        while (i < n) {
            int k0 = s.indexOf('"', i);
            if (k0 < 0) {
                break;
            }
            int k1 = s.indexOf('"', k0 + 1);
            String key = s.substring(k0 + 1, k1);
            int colon = k1 + 1;
            if (colon < n && s.charAt(colon) == ':') {
                int v = colon + 1;
                if (s.charAt(v) == '"') {
                    int v1 = s.indexOf('"', v + 1);
                    String value = s.substring(v + 1, v1);
                    switch (key) {
                        case "clientID": r.clientId = value; break;
                        case "groupName":
                            if ("producerDataSet".equals(lastGroupContext)) {
                                r.producerGroups.add(value);
                            } else {
                                r.consumerGroups.add(value);
                            }
                            break;
                        case "topic": r.topics.add(value); break;
                        default: r.ext.put(key, value);
                    }
                    i = v1 + 1;
                } else {
                    if (key.endsWith("Set")) {
                        lastGroupContext = key;
                    }
                    int v1 = v;
                    while (v1 < n && ",}]".indexOf(s.charAt(v1)) < 0 && s.charAt(v1) != '[' && s.charAt(v1) != '{') {
                        v1++;
                    }
                    r.ext.put(key, s.substring(v, v1));
                    i = v1;
                }
            } else {
                i = k1 + 1;
            }
        }
        return r;
    }

    /** The unlocked part: decode, build the channel info, registerConsumer, response. Returns a checksum. */
    static int unlocked(byte[] body, Chan channel, ConsumerTable consumers) {
        Request r = decode(body);
        Info info = new Info(channel, r.clientId);
        int changed = 0;
        String[] topics = r.topics.toArray(new String[0]);
        for (String g : r.consumerGroups) {
            if (consumers.registerConsumer(g, info, topics)) {
                changed++;
            }
        }
        Map<String, String> response = new HashMap<>();
        response.put("code", "0");
        response.put("opaque", Integer.toString(body.length));
        return changed + response.size() + r.ext.size() + r.producerGroups.size();
    }
}
