package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.procimg.DigitalOut;
import com.ghgande.j2mod.modbus.procimg.ProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleInputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import java.util.Objects;
import java.util.concurrent.locks.Lock;

/**
 * The memory of one simulated Modbus unit: holding registers, input registers, coils and discrete
 * inputs, each at addresses 0 to {@code size() - 1} (the 0-based protocol address, as on the wire;
 * 0 to 9999 unless a smaller image was asked for), all zero at start.
 *
 * <p>A test scripts values with the setters and reads back what a master wrote with the getters.
 * Setters and getters are thread-safe. A multi-word setter is atomic with respect to the requests
 * of a {@link ModbusTcpSimulator} with its fault proxy (the proxy serialises requests with the same
 * lock); on a {@link ModbusTcpSimulator#direct direct} or RTU simulator a master polling at that
 * moment can see the first word new and the second old.
 *
 * <p>A {@link CoilListener} learns of every coil change the moment it happens, e.g. to time when a
 * master's write landed without polling for it.
 */
public final class UnitImage {

  /** Told of a coil that changed value. */
  @FunctionalInterface
  public interface CoilListener {
    /**
     * Called on the thread that changed the coil (the slave's handler for a master's write, the
     * caller of {@link #setCoil}), after the change; it must return quickly and not throw.
     *
     * @param address the coil's address
     * @param value its new value
     */
    void changed(int address, boolean value);
  }

  /** Addresses per table unless a smaller image was asked for: 0 to 9999. */
  public static final int DEFAULT_SIZE = 10_000;

  private final int unitId;
  private final Lock updateLock;
  private final SimpleProcessImage processImage;
  private final SimpleRegister[] holding;
  private final SimpleInputRegister[] input;
  private final Coil[] coils;
  private final Bit[] discretes;
  private volatile CoilListener coilListener;

  UnitImage(int unitId, Lock updateLock) {
    this(unitId, DEFAULT_SIZE, updateLock);
  }

  UnitImage(int unitId, int size, Lock updateLock) {
    if (unitId < 0 || unitId > 255) {
      throw new IllegalArgumentException("unit id must be 0-255, got " + unitId);
    }
    if (size < 1 || size > 65_536) {
      throw new IllegalArgumentException("table size must be 1-65536, got " + size);
    }
    this.unitId = unitId;
    this.holding = new SimpleRegister[size];
    this.input = new SimpleInputRegister[size];
    this.coils = new Coil[size];
    this.discretes = new Bit[size];
    this.updateLock = Objects.requireNonNull(updateLock, "updateLock");
    this.processImage = new SimpleProcessImage(unitId);
    // SimpleProcessImage only grows by appending, so every address is added once, in order; the
    // arrays keep direct references for O(1) access from the test side.
    for (int address = 0; address < size; address++) {
      holding[address] = new SimpleRegister(0);
      processImage.addRegister(holding[address]);
      input[address] = new SimpleInputRegister(0);
      processImage.addInputRegister(input[address]);
      coils[address] = new Coil(address);
      processImage.addDigitalOut(coils[address]);
      discretes[address] = new Bit();
      processImage.addDigitalIn(discretes[address]);
    }
  }

  /** Addresses per table. */
  public int size() {
    return holding.length;
  }

  /** The unit id (slave address) this image answers to. */
  public int unitId() {
    return unitId;
  }

  /** Writes consecutive holding registers starting at {@code address}. */
  public void setHolding(int address, short... words) {
    checkRange("holding", address, words.length);
    updateLock.lock();
    try {
      for (int i = 0; i < words.length; i++) {
        holding[address + i].setValue(words[i]);
      }
    } finally {
      updateLock.unlock();
    }
  }

  /** Writes consecutive input registers starting at {@code address}. */
  public void setInput(int address, short... words) {
    checkRange("input", address, words.length);
    updateLock.lock();
    try {
      for (int i = 0; i < words.length; i++) {
        input[address + i].setValue(words[i]);
      }
    } finally {
      updateLock.unlock();
    }
  }

  /** Sets one coil. */
  public void setCoil(int address, boolean value) {
    checkRange("coil", address, 1);
    coils[address].set(value);
  }

  /**
   * Tells {@code listener} of every coil change from now on (a set to the value a coil already has
   * is not a change); replaces the previous listener, null removes it.
   */
  public void onCoilChange(CoilListener listener) {
    coilListener = listener;
  }

  /** Sets one discrete input. */
  public void setDiscrete(int address, boolean value) {
    checkRange("discrete", address, 1);
    discretes[address].set(value);
  }

  /**
   * Writes a float32 as two registers, big-endian word and byte order (ABCD: the high word at
   * {@code address}).
   */
  public void setFloat32(RegisterTable table, int address, float value) {
    int bits = Float.floatToRawIntBits(value);
    short[] words = {(short) (bits >>> 16), (short) bits};
    switch (table) {
      case HOLDING -> setHolding(address, words);
      case INPUT -> setInput(address, words);
    }
  }

  /** The holding register at {@code address}. */
  public short holding(int address) {
    checkRange("holding", address, 1);
    return holding[address].toShort();
  }

  /** {@code count} consecutive holding registers, read as one snapshot. */
  public short[] holding(int address, int count) {
    checkRange("holding", address, count);
    updateLock.lock();
    try {
      short[] words = new short[count];
      for (int i = 0; i < count; i++) {
        words[i] = holding[address + i].toShort();
      }
      return words;
    } finally {
      updateLock.unlock();
    }
  }

  /** The input register at {@code address}. */
  public short input(int address) {
    checkRange("input", address, 1);
    return input[address].toShort();
  }

  /** {@code count} consecutive input registers, read as one snapshot. */
  public short[] input(int address, int count) {
    checkRange("input", address, count);
    updateLock.lock();
    try {
      short[] words = new short[count];
      for (int i = 0; i < count; i++) {
        words[i] = input[address + i].toShort();
      }
      return words;
    } finally {
      updateLock.unlock();
    }
  }

  /** The coil at {@code address}. */
  public boolean coil(int address) {
    checkRange("coil", address, 1);
    return coils[address].isSet();
  }

  /** The discrete input at {@code address}. */
  public boolean discrete(int address) {
    checkRange("discrete", address, 1);
    return discretes[address].isSet();
  }

  /** Reads two registers as a float32, big-endian word and byte order (ABCD). */
  public float float32(RegisterTable table, int address) {
    short[] words =
        switch (table) {
          case HOLDING -> holding(address, 2);
          case INPUT -> input(address, 2);
        };
    return Float.intBitsToFloat(((words[0] & 0xFFFF) << 16) | (words[1] & 0xFFFF));
  }

  /** The j2mod process image the slave serves. */
  ProcessImage processImage() {
    return processImage;
  }

  private void checkRange(String table, int address, int count) {
    if (count < 1 || address < 0 || address + count > holding.length) {
      throw new IllegalArgumentException(
          table
              + " address range "
              + address
              + "+"
              + count
              + " is outside 0-"
              + (holding.length - 1));
    }
  }

  /**
   * A coil or discrete input. j2mod's SimpleDigitalOut keeps its state in a plain field, which the
   * slave's handler thread need not see when a test thread sets it.
   */
  private static class Bit implements DigitalOut {
    volatile boolean state;

    @Override
    public boolean isSet() {
      return state;
    }

    @Override
    public void set(boolean value) {
      state = value;
    }
  }

  /** A coil: a {@link Bit} that tells the image's {@link CoilListener} of a change. */
  private final class Coil extends Bit {
    private final int address;

    Coil(int address) {
      this.address = address;
    }

    @Override
    public void set(boolean value) {
      boolean was = state;
      state = value;
      CoilListener listener = coilListener;
      if (listener != null && was != value) {
        listener.changed(address, value);
      }
    }
  }
}
