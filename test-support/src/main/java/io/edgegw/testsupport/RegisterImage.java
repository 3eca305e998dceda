package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.procimg.SimpleDigitalIn;
import com.ghgande.j2mod.modbus.procimg.SimpleDigitalOut;
import com.ghgande.j2mod.modbus.procimg.SimpleInputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;

/**
 * The four tables of one simulated unit, addresses {@code 0..size-1}, all zero at start. Values are
 * set and read back by tests; the gateway reads and writes them over Modbus.
 */
public final class RegisterImage {
  private final SimpleProcessImage image;
  private final int size;

  /** An image of {@code size} entries in each table. */
  public RegisterImage(int unitId, int size) {
    this.size = size;
    this.image = new SimpleProcessImage(unitId);
    for (int i = 0; i < size; i++) {
      image.addRegister(new SimpleRegister(0));
      image.addInputRegister(new SimpleInputRegister(0));
      image.addDigitalOut(new SimpleDigitalOut(false));
      image.addDigitalIn(new SimpleDigitalIn(false));
    }
  }

  SimpleProcessImage processImage() {
    return image;
  }

  /** Entries per table. */
  public int size() {
    return size;
  }

  /** Sets holding registers from {@code address}, one word each. */
  public void setHolding(int address, short... words) {
    for (int i = 0; i < words.length; i++) {
      image.getRegister(address + i).setValue(words[i] & 0xFFFF);
    }
  }

  /** Sets input registers from {@code address}. */
  public void setInput(int address, short... words) {
    for (int i = 0; i < words.length; i++) {
      ((SimpleInputRegister) image.getInputRegister(address + i)).setValue(words[i] & 0xFFFF);
    }
  }

  /** Sets a coil. */
  public void setCoil(int address, boolean value) {
    image.getDigitalOut(address).set(value);
  }

  /** Sets a discrete input. */
  public void setDiscrete(int address, boolean value) {
    ((SimpleDigitalIn) image.getDigitalIn(address)).set(value);
  }

  /** Sets a big-endian (ABCD) float32 in two holding registers. */
  public void setFloat32(int address, float value) {
    int bits = Float.floatToIntBits(value);
    setHolding(address, (short) (bits >>> 16), (short) bits);
  }

  /** A holding register as written on the wire. */
  public short holding(int address) {
    return image.getRegister(address).toShort();
  }

  /** A coil. */
  public boolean coil(int address) {
    return image.getDigitalOut(address).isSet();
  }
}
