package dev.oxbow.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;

import java.nio.file.Path;

/**
 * How the proxy reaches a compute: a connection to the Postgres socket in {@code socketDir}. A seam so the
 * session and relay logic can run in tests on in-memory channels.
 */
interface ComputeLink {
    /** Connects on {@code loop} with {@code handler} (usually an initializer) in the new channel's pipeline. */
    ChannelFuture connect(EventLoop loop, Path socketDir, ChannelHandler handler);

    /** Sends a CancelRequest with the compute's own key on a connection of its own. */
    void cancel(EventLoop loop, Path socketDir, int pid, int secret);
}
