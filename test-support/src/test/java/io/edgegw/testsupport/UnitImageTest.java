package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.procimg.ProcessImage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class UnitImageTest {

  private final UnitImage unit = new UnitImage(7, new ReentrantLock());

  @Test
  void float32IsWrittenBigEndianHighWordFirst() {
    unit.setFloat32(RegisterTable.HOLDING, 100, 21.5f); // 0x41AC0000
    unit.setFloat32(RegisterTable.INPUT, 200, -1.0f); // 0xBF800000

    assertThat(unit.holding(100, 2)).containsExactly((short) 0x41AC, (short) 0x0000);
    assertThat(unit.input(200, 2)).containsExactly((short) 0xBF80, (short) 0x0000);
    assertThat(unit.float32(RegisterTable.HOLDING, 100)).isEqualTo(21.5f);
    assertThat(unit.float32(RegisterTable.INPUT, 200)).isEqualTo(-1.0f);
  }

  @Test
  void settersAreVisibleThroughTheProcessImageTheSlaveServes() throws Exception {
    unit.setHolding(9998, (short) 0x1234, (short) 0xFFFF);
    unit.setInput(0, (short) 7);
    unit.setCoil(5, true);
    unit.setDiscrete(9999, true);

    ProcessImage image = unit.processImage();
    assertThat(image.getRegister(9998).getValue()).isEqualTo(0x1234);
    assertThat(image.getRegister(9999).toShort()).isEqualTo((short) -1);
    assertThat(image.getInputRegister(0).getValue()).isEqualTo(7);
    assertThat(image.getDigitalOut(5).isSet()).isTrue();
    assertThat(image.getDigitalIn(9999).isSet()).isTrue();
    assertThat(image.getRegisterCount()).isEqualTo(UnitImage.DEFAULT_SIZE);
    assertThat(image.getDigitalInCount()).isEqualTo(UnitImage.DEFAULT_SIZE);
  }

  @Test
  void writesThroughTheProcessImageAreReadBack() throws Exception {
    unit.processImage().getRegister(42).setValue(0xBEEF);
    unit.processImage().getDigitalOut(3).set(true);

    assertThat(unit.holding(42)).isEqualTo((short) 0xBEEF);
    assertThat(unit.coil(3)).isTrue();
    assertThat(unit.coil(4)).isFalse();
  }

  @Test
  void aCoilListenerHearsEveryChangeFromTheMasterOrTheTestButNoRepeat() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    unit.onCoilChange((address, value) -> heard.add(address + "=" + value));

    unit.processImage().getDigitalOut(3).set(true); // a master's write
    unit.processImage().getDigitalOut(3).set(true); // the same value again: no change
    unit.setCoil(3, false);
    unit.setDiscrete(3, true); // not a coil
    unit.onCoilChange(null);
    unit.setCoil(4, true);

    assertThat(heard).containsExactly("3=true", "3=false");
    assertThat(unit.coil(4)).isTrue();
  }

  @Test
  void rejectsAddressesOutsideTheTable() {
    assertThatThrownBy(() -> unit.setHolding(9999, (short) 1, (short) 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("holding address range 9999+2 is outside 0-9999");
    assertThatThrownBy(() -> unit.coil(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> unit.float32(RegisterTable.INPUT, 9999))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UnitImage(256, new ReentrantLock()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSmallerImageEndsAtItsSize() {
    UnitImage small = new UnitImage(1, 100, new ReentrantLock());

    small.setHolding(99, (short) 1);

    assertThat(small.size()).isEqualTo(100);
    assertThat(small.processImage().getRegisterCount()).isEqualTo(100);
    assertThatThrownBy(() -> small.setCoil(100, true))
        .hasMessage("coil address range 100+1 is outside 0-99");
  }
}
