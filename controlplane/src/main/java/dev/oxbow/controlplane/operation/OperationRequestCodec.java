package dev.oxbow.controlplane.operation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.RecordJson;
import dev.oxbow.metadata.Role;

import java.io.IOException;

/**
 * The one place operation requests become the JSON stored in {@link Operation#request()} and back. The shape is
 * the one stored since the first release: snake-case fields, unset fields left out, a resource snapshot as a
 * string holding the store's own JSON of it, and no request at all (null) for kinds that carry nothing.
 */
public final class OperationRequestCodec {
    private final RecordJson records = new RecordJson();
    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(snapshotsAsStrings())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The stored JSON of {@code request}, which must be the type {@code kind} carries; null when it sets nothing. */
    public String write(OperationKind kind, OperationRequest request) {
        Class<? extends OperationRequest> type = OperationRequest.typeOf(kind);
        if (!type.isInstance(request)) {
            throw new IllegalArgumentException(kind + " carries " + type.getSimpleName() + ", got "
                    + (request == null ? "null" : request.getClass().getSimpleName()));
        }
        try {
            String encoded = mapper.writeValueAsString(request);
            return encoded.equals("{}") ? null : encoded; // nothing set: stored as no request, as a branch from the head always was
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + kind + " request", e);
        }
    }

    /** The request of {@code op}; a missing request reads as an empty one (every field unset). */
    public <T extends OperationRequest> T read(Operation op, Class<T> type) {
        if (OperationRequest.typeOf(op.kind()) != type) {
            throw new IllegalArgumentException(op.kind() + " carries " + OperationRequest.typeOf(op.kind()).getSimpleName()
                    + ", not " + type.getSimpleName());
        }
        try {
            return mapper.readValue(op.request() == null ? "{}" : op.request(), type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot decode the request of " + op.name() + ": " + e.getOriginalMessage(), e);
        }
    }

    private SimpleModule snapshotsAsStrings() {
        SimpleModule module = new SimpleModule("resource-snapshots-as-strings");
        asString(module, Endpoint.class);
        asString(module, Role.class);
        asString(module, Database.class);
        asString(module, dev.oxbow.metadata.DataApi.class);
        return module;
    }

    private <R> void asString(SimpleModule module, Class<R> type) {
        module.addSerializer(type, new JsonSerializer<R>() {
            @Override
            public void serialize(R value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                gen.writeString(records.write(value));
            }
        });
        module.addDeserializer(type, new JsonDeserializer<R>() {
            @Override
            public R deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                return records.read(p.getValueAsString(), type);
            }
        });
    }
}
