package dev.oxbow.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Computes as in-memory channels: each connection is an EmbeddedChannel the test plays the compute on. */
final class FakeComputes implements ComputeLink {
    final List<EmbeddedChannel> opened = new ArrayList<>();
    final List<String> cancels = new ArrayList<>();
    final List<Path> socketDirs = new ArrayList<>();

    @Override
    public ChannelFuture connect(EventLoop loop, Path socketDir, ChannelHandler handler) {
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        opened.add(ch);
        socketDirs.add(socketDir);
        return ch.newSucceededFuture();
    }

    @Override
    public void cancel(EventLoop loop, Path socketDir, int pid, int secret) {
        cancels.add(socketDir + " " + pid + " " + secret);
    }

    EmbeddedChannel last() {
        return opened.getLast();
    }
}
