package io.kongjava.bench.codec;

import io.kongjava.catalogue.RpcMethod;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding of the messages Kong really sends and receives, with the server's wire code: a message
 * encoded to the bytes written in one go, and a message read from a long-lived connection. Run with {@code -prof gc} for bytes allocated per message
 * ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

    /** handle_event: Kong's HandleEvent request; headers: the answer to get_headers; body: a 512 KB raw body step. */
    @Param({"handle_event", "headers", "body"})
    public String message;

    private RpcMessage decoded;
    private RpcReader connection;

    private static RpcMessage.Request request(long msgid, KongCall call) {
        return new RpcMessage.Request(msgid, call.method().wireName(), java.util.Collections.singletonList(call.toArgument()));
    }

    @Setup
    public void setUp() throws IOException {
        decoded = switch (message) {
            case "handle_event" -> request(41, new KongCall.HandleEvent(3, "access"));
            case "headers" -> request(42, new KongCall.Step(RpcMethod.STEP_MULTI_MAP, 17, claudeCodeHeaders()));
            case "body" -> request(43, new KongCall.Step(RpcMethod.STEP, 17, randomBytes(512 * 1024)));
            default -> throw new IllegalArgumentException(message);
        };
        connection = new RpcReader(new Repeating(RpcWriter.encode(decoded)));
    }

    /** A connection on which Kong sends the same message forever: decoding reuses the reader, as the server does. */
    static final class Repeating extends java.io.InputStream {
        private final byte[] message;
        private int position;

        Repeating(byte[] message) {
            this.message = message;
        }

        @Override
        public int read() {
            byte b = message[position];
            position = (position + 1) % message.length;
            return b & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int length) {
            int n = Math.min(length, message.length - position);
            System.arraycopy(message, position, into, offset, n);
            position = (position + n) % message.length;
            return n;
        }
    }

    /** The headers of a request Claude Code sends through the how-to's route, as Kong's multimap. */
    static Map<String, Object> claudeCodeHeaders() {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("host", List.of("localhost:8000"));
        headers.put("user-agent", List.of("claude-cli/2.1.330 (external, cli)"));
        headers.put("content-type", List.of("application/json"));
        headers.put("accept", List.of("application/json"));
        headers.put("x-api-key", List.of("sk-ant-placeholder"));
        headers.put("anthropic-version", List.of("2023-06-01"));
        headers.put("anthropic-beta", List.of("claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"));
        headers.put("anthropic-dangerous-direct-browser-access", List.of("true"));
        headers.put("x-app", List.of("cli"));
        headers.put("x-stainless-lang", List.of("js"));
        headers.put("x-stainless-package-version", List.of("0.60.0"));
        headers.put("x-stainless-os", List.of("Linux"));
        headers.put("x-stainless-arch", List.of("x64"));
        headers.put("x-stainless-runtime", List.of("node"));
        headers.put("x-stainless-retry-count", List.of("0"));
        headers.put("x-stainless-timeout", List.of("600"));
        headers.put("accept-encoding", List.of("gzip, deflate, br"));
        headers.put("content-length", List.of("48213"));
        headers.put("x-forwarded-for", List.of("127.0.0.1", "10.0.0.2"));
        return headers;
    }

    static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    @Benchmark
    public byte[] encode() {
        return RpcWriter.encode(decoded);
    }

    @Benchmark
    public RpcMessage decode() throws IOException {
        return connection.read();
    }
}
