package io.kongjava.kongclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's keep-alive pool behaves as lua-nginx-module's cosocket pool, which Kong's mp_rpc.lua uses: the
 * connection returned last is taken next, and a full pool closes its oldest connection. A server that answers
 * each call with the number of the connection it came on shows which connection each call took.
 */
class KongRpcClientPoolTest {

    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Integer> closedByClient = ConcurrentHashMap.newKeySet();
    /** A call to method "hold" waits here before it is answered. */
    private volatile CountDownLatch release = new CountDownLatch(0);

    @BeforeEach
    void startServer() throws IOException {
        Path socket = dir.resolve("server.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon().start(() -> {
            while (listener.isOpen()) {
                try {
                    SocketChannel connection = listener.accept();
                    int number = accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().start(() -> answer(connection, number));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    private void answer(SocketChannel connection, int number) {
        try (connection) {
            RpcReader reader = new RpcReader(Channels.newInputStream(connection));
            RpcWriter writer = new RpcWriter(Channels.newOutputStream(connection));
            RpcMessage message;
            while ((message = reader.read()) != null) {
                RpcMessage.Request request = (RpcMessage.Request) message;
                if (request.method().equals("hold")) {
                    release.await(5, TimeUnit.SECONDS);
                }
                writer.write(new RpcMessage.Response(request.msgid(), null, (long) number));
            }
            closedByClient.add(number);
        } catch (IOException | InterruptedException e) {
            closedByClient.add(number);
        }
    }

    @AfterEach
    void stopServer() throws IOException {
        listener.close();
    }

    private KongRpcClient client(int poolSize) {
        return new KongRpcClient(dir.resolve("server.sock"), Duration.ofSeconds(5), poolSize);
    }

    @Test
    void callsOneAfterAnotherStayOnOneConnection() throws Exception {
        try (KongRpcClient kong = client(8)) {
            for (int i = 0; i < 10; i++) {
                assertThat(kong.call("ping", null)).isEqualTo(1L);
            }
            assertThat(accepted).hasValue(1);
        }
    }

    @Test
    void theConnectionReturnedLastIsTakenNext() throws Exception {
        try (KongRpcClient kong = client(8)) {
            List<Long> heldOn = twoCallsAtOnce(kong);

            // the held call came back last: its connection is at the head of the pool
            assertThat(kong.call("ping", null)).isEqualTo(heldOn.get(0));
            assertThat(kong.call("ping", null)).isEqualTo(heldOn.get(0));
            assertThat(accepted).hasValue(2);
        }
    }

    @Test
    void aFullPoolClosesItsOldestConnectionToKeepTheOneReturned() throws Exception {
        try (KongRpcClient kong = client(1)) {
            List<Long> heldOn = twoCallsAtOnce(kong);
            long returnedFirst = heldOn.get(1);

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(closedByClient).containsExactly((int) returnedFirst));
            assertThat(kong.call("ping", null)).isEqualTo(heldOn.get(0));
        }
    }

    /** A held call on one connection while a quick one takes a second; returns {held call's connection, quick one's}. */
    private List<Long> twoCallsAtOnce(KongRpcClient kong) throws Exception {
        release = new CountDownLatch(1);
        Object[] held = new Object[1];
        Thread holder = Thread.ofPlatform().start(() -> {
            try {
                held[0] = kong.call("hold", null);
            } catch (Exception e) {
                held[0] = e;
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() == 1);
        long quick = (Long) kong.call("ping", null);
        release.countDown();
        holder.join(5_000);
        assertThat(held[0]).isInstanceOf(Long.class).isNotEqualTo(quick);
        return List.of((Long) held[0], quick);
    }
}
