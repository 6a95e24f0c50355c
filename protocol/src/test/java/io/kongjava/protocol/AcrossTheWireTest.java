package io.kongjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What an in-process bridge hands a plugin is exactly what the socket would have: {@link MsgPackValues#acrossTheWire}
 * builds it directly, and must give the same types, values and map orders as packing and unpacking.
 */
class AcrossTheWireTest {

    @Test
    void everyIntegerWidthArrivesAsALongAndFloatsAsDoubles() {
        assertThat(MsgPackValues.acrossTheWire(7)).isEqualTo(7L);
        assertThat(MsgPackValues.acrossTheWire((short) -3)).isEqualTo(-3L);
        assertThat(MsgPackValues.acrossTheWire((byte) 1)).isEqualTo(1L);
        assertThat(MsgPackValues.acrossTheWire(1.5f)).isEqualTo(1.5d);
        assertThat(MsgPackValues.acrossTheWire(new BigInteger("18446744073709551615"))).isEqualTo(1.8446744073709552E19);
        assertThat(MsgPackValues.acrossTheWire(BigInteger.TEN)).isEqualTo(10L);
    }

    @Test
    void containersAreCopiesAndBytesAreNotShared() {
        byte[] body = {1, 2, 3};
        List<Object> list = new ArrayList<>(List.of("a"));
        Map<String, Object> map = new LinkedHashMap<>(Map.of("k", list));
        map.put("body", body);

        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) MsgPackValues.acrossTheWire(map);
        body[0] = 9;
        list.add("b");

        assertThat((byte[]) copy.get("body")).containsExactly(1, 2, 3);
        assertThat(copy.get("k")).isEqualTo(List.of("a"));
    }

    @Test
    void binaryMapKeysBecomeStringsAndCharSequencesStrings() {
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("x".getBytes(StandardCharsets.UTF_8), 1);
        map.put(new StringBuilder("y"), 2);

        assertThat(MsgPackValues.acrossTheWire(map)).isEqualTo(Map.of("x", 1L, "y", 2L));
    }

    @Test
    void aStringWithALoneSurrogateIsChangedAsUtf8WouldChangeIt() {
        String broken = "a\uD800b";
        assertSame(MsgPackValues.throughTheBytes(broken), MsgPackValues.acrossTheWire(broken));
        assertThat(MsgPackValues.acrossTheWire(broken)).isNotEqualTo(broken);
        assertThat(MsgPackValues.acrossTheWire("emoji \uD83D\uDE00")).isEqualTo("emoji \uD83D\uDE00");
    }

    @Test
    void whatCannotCrossIsRefusedAsPackRefusesIt() {
        assertThatThrownBy(() -> MsgPackValues.acrossTheWire(Map.of("when", new java.util.Date())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot send a java.util.Date to Kong");
    }

    @Test
    void typedMessagesCrossAsTheirMaps() {
        InstanceInfo info = new InstanceInfo("java-file-log", 3, Map.of("path", "/tmp/x"), 12.5);
        assertSame(MsgPackValues.throughTheBytes(info), MsgPackValues.acrossTheWire(info));
    }

    @Test
    void randomNestedValuesMatchThePackedAndUnpackedOnes() {
        Random random = new Random(20261202);
        for (int i = 0; i < 2_000; i++) {
            Object value = randomValue(random, 0);
            assertSame(MsgPackValues.throughTheBytes(value), MsgPackValues.acrossTheWire(value));
        }
    }

    private static Object randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 3 ? 11 : 14);
        return switch (kind) {
            case 0 -> null;
            case 1 -> random.nextBoolean();
            case 2 -> random.nextLong();
            case 3 -> random.nextInt();
            case 4 -> (short) random.nextInt();
            case 5 -> (byte) random.nextInt();
            case 6 -> random.nextDouble() * 1e6;
            case 7 -> random.nextFloat();
            case 8 -> randomString(random);
            case 9 -> {
                byte[] bytes = new byte[random.nextInt(8)];
                random.nextBytes(bytes);
                yield bytes;
            }
            case 10 -> new StringBuilder(randomString(random));
            case 11 -> {
                List<Object> list = new ArrayList<>();
                for (int n = random.nextInt(5); n > 0; n--) {
                    list.add(randomValue(random, depth + 1));
                }
                yield list;
            }
            case 12 -> {
                Map<Object, Object> map = random.nextBoolean() ? new LinkedHashMap<>() : new TreeMap<>();
                for (int n = random.nextInt(5); n > 0; n--) {
                    map.put(random.nextInt(3) == 0 && !(map instanceof TreeMap) ? (Object) (long) random.nextInt(4) : randomString(random),
                            randomValue(random, depth + 1));
                }
                yield map;
            }
            default -> Arrays.asList(randomValue(random, depth + 1), Map.of("k", randomString(random)));
        };
    }

    private static String randomString(Random random) {
        String alphabet = "ab\u00e9\u4e2d\uD83D\uDE00\uD800 ";
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(6); n > 0; n--) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    /** Same types and contents all the way down, map entries in the same order. */
    private static void assertSame(Object expected, Object actual) {
        if (expected == null) {
            assertThat(actual).isNull();
            return;
        }
        assertThat(actual).isNotNull();
        assertThat(actual.getClass()).isEqualTo(expected.getClass());
        switch (expected) {
            case byte[] bytes -> assertThat(Arrays.equals(bytes, (byte[]) actual)).isTrue();
            case List<?> list -> {
                List<?> other = (List<?>) actual;
                assertThat(other).hasSameSizeAs(list);
                for (int i = 0; i < list.size(); i++) {
                    assertSame(list.get(i), other.get(i));
                }
            }
            case Map<?, ?> map -> {
                Map<?, ?> other = (Map<?, ?>) actual;
                assertThat(new ArrayList<Object>(other.keySet())).isEqualTo(new ArrayList<Object>(map.keySet()));
                Iterator<? extends Map.Entry<?, ?>> theirs = other.entrySet().iterator();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    assertSame(entry.getValue(), theirs.next().getValue());
                }
            }
            default -> assertThat(actual).isEqualTo(expected);
        }
    }
}
