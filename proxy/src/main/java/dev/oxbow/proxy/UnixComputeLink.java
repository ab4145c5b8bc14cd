package dev.oxbow.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.nio.file.Path;

/** Computes listen on {@code <socketDir>/.s.PGSQL.5432}; the proxy connects there with epoll. */
final class UnixComputeLink implements ComputeLink {
    @Override
    public ChannelFuture connect(EventLoop loop, Path socketDir, ChannelHandler handler) {
        return new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class).handler(handler).connect(address(socketDir));
    }

    @Override
    public void cancel(EventLoop loop, Path socketDir, int pid, int secret) {
        connect(loop, socketDir, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
            }
        }).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                ByteBuf b = f.channel().alloc().buffer(16);
                b.writeInt(16).writeInt(PgWire.CANCEL_REQUEST).writeInt(pid).writeInt(secret);
                f.channel().writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    private static DomainSocketAddress address(Path socketDir) {
        return new DomainSocketAddress(socketDir.resolve(".s.PGSQL.5432").toFile());
    }
}
