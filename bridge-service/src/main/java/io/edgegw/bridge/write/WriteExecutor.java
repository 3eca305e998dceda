package io.edgegw.bridge.write;

import io.edgegw.bridge.TagSpec;
import io.edgegw.bridge.modbus.ModbusChannel;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.bridge.modbus.RegisterCodec;

/** Carries out a validated write on the device's channel. */
public final class WriteExecutor {
  private WriteExecutor() {}

  /** Writes the plan's value; a bit of a register is read, modified and written back. */
  public static void write(ModbusChannel channel, WritePlan plan) throws ModbusFault {
    TagSpec tag = plan.tag();
    switch (tag.type()) {
      case BOOL -> channel.writeCoil(tag.address(), (Boolean) plan.value());
      case BIT -> {
        short current = channel.readHolding(tag.address());
        channel.writeRegisters(
            tag.address(),
            new short[] {RegisterCodec.encodeBit(current, tag.bit(), (Boolean) plan.value())});
      }
      case INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64, STRING ->
          channel.writeRegisters(tag.address(), RegisterCodec.encode(tag, plan.value()));
    }
  }
}
