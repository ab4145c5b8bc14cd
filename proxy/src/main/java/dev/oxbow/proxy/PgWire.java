package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Encoding and decoding of the few PostgreSQL protocol messages the proxy itself reads or writes. */
final class PgWire {
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;
    static final int PROTOCOL_3 = 196608;
    /** The ALPN protocol name of PostgreSQL over TLS (required with direct TLS). */
    static final String ALPN = "postgresql";

    static final int AUTH_OK = 0;
    static final int AUTH_CLEARTEXT = 3;
    static final int AUTH_SASL = 10;
    static final int AUTH_SASL_CONTINUE = 11;
    static final int AUTH_SASL_FINAL = 12;

    private PgWire() {}

    /** A FATAL ErrorResponse with an SQLSTATE and a message meant for a person. */
    static ByteBuf fatal(ByteBufAllocator alloc, String sqlState, String message) {
        ByteBuf b = alloc.buffer();
        b.writeByte('E');
        int lenAt = b.writerIndex();
        b.writeInt(0);
        field(b, 'S', "FATAL");
        field(b, 'V', "FATAL");
        field(b, 'C', sqlState);
        field(b, 'M', message);
        b.writeByte(0);
        b.setInt(lenAt, b.writerIndex() - lenAt);
        return b;
    }

    private static void field(ByteBuf b, char code, String value) {
        b.writeByte(code);
        b.writeCharSequence(value, StandardCharsets.UTF_8);
        b.writeByte(0);
    }

    static ByteBuf authRequest(ByteBufAllocator alloc, int code, byte[] data) {
        ByteBuf b = alloc.buffer(9 + data.length);
        b.writeByte('R');
        b.writeInt(8 + data.length);
        b.writeInt(code);
        b.writeBytes(data);
        return b;
    }

    static ByteBuf saslMechanisms(ByteBufAllocator alloc) {
        return authRequest(alloc, AUTH_SASL, "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII));
    }

    static ByteBuf startup(ByteBufAllocator alloc, Map<String, String> params) {
        ByteBuf b = alloc.buffer();
        b.writeInt(0);
        b.writeInt(PROTOCOL_3);
        for (var e : params.entrySet()) {
            b.writeCharSequence(e.getKey(), StandardCharsets.UTF_8);
            b.writeByte(0);
            b.writeCharSequence(e.getValue(), StandardCharsets.UTF_8);
            b.writeByte(0);
        }
        b.writeByte(0);
        b.setInt(0, b.writerIndex());
        return b;
    }

    /** Startup parameters (after the protocol version) of a StartupMessage body. */
    static Map<String, String> startupParams(ByteBuf body) {
        Map<String, String> params = new LinkedHashMap<>();
        while (body.isReadable()) {
            String key = cString(body);
            if (key.isEmpty()) {
                break;
            }
            params.put(key, cString(body));
        }
        return params;
    }

    /** A NUL-terminated string; a missing terminator is a protocol violation. */
    static String cString(ByteBuf b) {
        int end = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new ProtocolException("unterminated string in message");
        }
        String s = b.toString(b.readerIndex(), end - b.readerIndex(), StandardCharsets.UTF_8);
        b.readerIndex(end + 1);
        return s;
    }

    static final class ProtocolException extends RuntimeException {
        ProtocolException(String message) {
            super(message);
        }
    }
}
