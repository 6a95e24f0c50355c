package io.kongjava.bench;

import io.kongjava.catalogue.HopByHopHeaders;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The same bare proxy as {@link ProxyStacks}, written the way Netty is meant to be used: non-blocking on both
 * sides, an event loop per core (epoll), and each front connection's upstream connections opened on and pooled
 * by the front connection's own event loop, so a request never changes threads. The upstream's answer is
 * relayed as its parts arrive (head, then each chunk), as a streamed answer must be.
 */
final class NettyProxy {

    private static final Set<String> HOP_BY_HOP = HopByHopHeaders.and("host");
    /** Kept on an answer: the front's codec frames the relayed parts by them. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");

    private final InetSocketAddress upstream;
    /** Idle upstream connections per event loop; touched only on that loop's thread. */
    private final Map<EventLoop, ArrayDeque<Channel>> idle = new HashMap<>();

    private NettyProxy(InetSocketAddress upstream) {
        this.upstream = upstream;
    }

    /** Starts the proxy; closing what it returns stops its event loops. */
    static AutoCloseable start(int listenPort, int upstreamPort) throws InterruptedException {
        NettyProxy proxy = new NettyProxy(new InetSocketAddress("127.0.0.1", upstreamPort));
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), EpollIoHandler.newFactory());
        for (var loop : loops) {
            proxy.idle.put((EventLoop) loop, new ArrayDeque<>());
        }
        new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), proxy.new Front());
                    }
                })
                .bind("127.0.0.1", listenPort).sync();
        return () -> loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** One client connection: forwards each whole request upstream. */
    private final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            DefaultFullHttpRequest outgoing = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    request.content().retain());
            copyEndToEnd(request.headers(), outgoing.headers());
            outgoing.headers().set(HttpHeaderNames.HOST, upstream.getHostString() + ":" + upstream.getPort());
            outgoing.headers().set(HttpHeaderNames.CONTENT_LENGTH, outgoing.content().readableBytes());
            Channel front = ctx.channel();
            EventLoop loop = front.eventLoop();
            Channel pooled = idle.get(loop).poll();
            if (pooled != null && pooled.isActive()) {
                send(pooled, outgoing, front);
                return;
            }
            new Bootstrap().group(loop).channel(EpollSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new HttpClientCodec(), new Back());
                        }
                    })
                    .connect(upstream).addListener((ChannelFuture connected) -> {
                        if (connected.isSuccess()) {
                            send(connected.channel(), outgoing, front);
                        } else {
                            outgoing.release();
                            front.close();
                        }
                    });
        }

        private void send(Channel back, FullHttpRequest outgoing, Channel front) {
            back.pipeline().get(Back.class).front = front;
            back.writeAndFlush(outgoing);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** One upstream connection: relays its answer's parts to the front connection it is lent to. */
    private final class Back extends SimpleChannelInboundHandler<HttpObject> {
        Channel front;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject part) {
            if (part instanceof HttpResponse head) {
                HttpHeaders headers = head.headers();
                for (String name : Set.copyOf(headers.names())) {
                    if (HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT)) && !FRAMING.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        headers.remove(name);
                    }
                }
                front.write(part instanceof HttpContent ? ReferenceCountUtil.retain(part) : part);
            } else if (part instanceof HttpContent content) {
                front.write(content.retain());
            }
            if (part instanceof HttpContent) {
                front.flush();
            }
            if (part instanceof LastHttpContent) {
                front = null;
                idle.get(ctx.channel().eventLoop()).add(ctx.channel());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            idle.get(ctx.channel().eventLoop()).remove(ctx.channel());
            if (front != null) {
                front.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void copyEndToEnd(HttpHeaders from, HttpHeaders to) {
        for (Map.Entry<String, String> h : from) {
            if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
                to.add(h.getKey(), h.getValue());
            }
        }
    }
}
