package io.kongjava.bench;

import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor: a process that answers every MessagePack-RPC request on a Unix socket with its own argument,
 * doing nothing else. One call to it is one socket round trip plus the codec, which every plugin server pays
 * too. With a second socket path, it also echoes raw bytes there: the bare round trip of this machine.
 */
public final class UdsEcho {

    private UdsEcho() {
    }

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0]);
        if (args.length > 1) {
            Path raw = Path.of(args[1]);
            Files.deleteIfExists(raw);
            ServerSocketChannel rawServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            rawServer.bind(UnixDomainSocketAddress.of(raw), 4096);
            Thread.ofPlatform().start(() -> acceptRaw(rawServer));
        }
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket), 4096);
            while (true) {
                SocketChannel connection = server.accept();
                Thread.ofPlatform().start(() -> echo(connection));
            }
        }
    }

    private static void acceptRaw(ServerSocketChannel server) {
        try {
            while (true) {
                SocketChannel connection = server.accept();
                Thread.ofPlatform().start(() -> echoBytes(connection));
            }
        } catch (IOException e) {
            // shutting down
        }
    }

    private static void echoBytes(SocketChannel connection) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(4096);
        try (connection) {
            while (connection.read(buffer.clear()) > 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    connection.write(buffer);
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void echo(SocketChannel connection) {
        try (connection;
             RpcReader reader = new RpcReader(new BufferedInputStream(Channels.newInputStream(connection)))) {
            BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(connection));
            RpcWriter writer = new RpcWriter(out);
            RpcMessage message;
            while ((message = reader.read()) != null) {
                if (message instanceof RpcMessage.Request request) {
                    writer.write(RpcMessage.Response.success(request.msgid(), request.argument()));
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
