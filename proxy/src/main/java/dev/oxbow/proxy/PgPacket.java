package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;

/** One client message: {@code type} is 0 for the untyped startup-phase packets, else the message type byte. */
record PgPacket(char type, ByteBuf body) {}
