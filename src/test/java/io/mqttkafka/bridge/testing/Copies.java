package io.mqttkafka.bridge.testing;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a consumer read against what was sent, for delivery-guarantee assertions: how often each payload arrived, which
 * expected ones never did, and which arrived more than once.
 */
public record Copies(Map<String, Long> byPayload, List<String> lost, List<String> duplicated, int extraCopies) {

    public static Copies of(List<String> expected, List<String> read) {
        Map<String, Long> byPayload = read.stream()
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        List<String> lost = expected.stream().filter(payload -> !byPayload.containsKey(payload)).toList();
        List<String> duplicated = byPayload.entrySet().stream().filter(copy -> copy.getValue() > 1)
                .map(Map.Entry::getKey).sorted().toList();
        return new Copies(byPayload, lost, duplicated, read.size() - byPayload.size());
    }
}
