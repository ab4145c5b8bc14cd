package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Follows the framing of a Postgres message stream (type byte, int32 length, body) across the buffers it arrives in,
 * without copying or holding anything back, and reports each message's type and the first byte of its body (-1 for
 * an empty body) to {@link Listener}: enough to see Query/Sync going one way and ReadyForQuery's status the other.
 */
final class MessageFraming {
    interface Listener {
        void message(byte type, int firstBodyByte);
    }

    private final Listener listener;
    /** Bytes of the current 5-byte header seen so far (0 = between messages or inside a body). */
    private int headerSeen;
    private byte type;
    private int length;
    /** Bytes of the current message's body still to come. */
    private long bodyLeft;
    /** The body's first byte is still to be reported. */
    private boolean firstPending;

    MessageFraming(Listener listener) {
        this.listener = listener;
    }

    void scan(ByteBuf in) {
        int at = in.readerIndex();
        int end = in.writerIndex();
        while (at < end) {
            if (bodyLeft > 0) {
                if (firstPending) {
                    firstPending = false;
                    listener.message(type, in.getUnsignedByte(at));
                }
                int skip = (int) Math.min(bodyLeft, end - at);
                bodyLeft -= skip;
                at += skip;
            } else if (headerSeen == 0 && end - at >= 5) {
                // the common case: a whole header in this buffer
                header(in.getByte(at), in.getInt(at + 1));
                at += 5;
            } else {
                byte b = in.getByte(at++);
                if (headerSeen == 0) {
                    type = b;
                    length = 0;
                } else {
                    length = (length << 8) | (b & 0xff);
                }
                if (++headerSeen == 5) {
                    headerSeen = 0;
                    header(type, length);
                }
            }
        }
    }

    private void header(byte messageType, int messageLength) {
        type = messageType;
        bodyLeft = Math.max(0, messageLength - 4L);
        if (bodyLeft == 0) {
            listener.message(type, -1);
        } else {
            firstPending = true;
        }
    }
}
