package dev.oxbow.sync;

import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.VariantType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Types in messages read as Spark SQL spells them; DECIMAL keeps precision and scale; older unconstrained numerics still match. */
class TypeMappingTest {
    @Test
    void typesAreNamedAsSqlNotAsKernelObjects() {
        StructType nested = new StructType().add("a", LongType.LONG).add("v", VariantType.VARIANT)
                .add("m", new MapType(StringType.STRING, new ArrayType(IntegerType.INTEGER, true), true));
        assertThat(TypeMapping.sqlName(nested)).isEqualTo("struct<a:bigint,v:variant,m:map<string,array<int>>>");
        assertThat(TypeMapping.sqlName(new DecimalType(38, 9))).isEqualTo("decimal(38,9)");
        assertThatThrownBy(() -> TypeMapping.columns(new StructType().add("id", LongType.LONG).add("payload", nested)))
                .isInstanceOf(SyncException.class).hasMessageContaining("payload struct<a:bigint,v:variant,m:map<string,array<int>>>")
                .message().doesNotContain("StructField").doesNotContain("StructType");
    }

    @Test
    void decimalsKeepPrecisionAndScale() throws Exception {
        assertThat(TypeMapping.columns(new StructType().add("d", new DecimalType(12, 3))).get(0).pgType()).isEqualTo("numeric(12,3)");
        assertThat(TypeMapping.sameColumnType("numeric", "numeric(12,3)")).as("a table synced before keeps syncing").isTrue();
        assertThat(TypeMapping.sameColumnType("numeric(10,2)", "numeric(12,2)")).as("a widened decimal is a type change").isFalse();
        assertThat(TypeMapping.sameColumnType("bigint", "integer")).isFalse();
    }
}
