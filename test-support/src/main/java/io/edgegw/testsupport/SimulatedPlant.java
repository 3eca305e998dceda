package io.edgegw.testsupport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The bundled simulated plant for {@code bin/gateway up}: three Modbus TCP devices on loopback.
 *
 * <ul>
 *   <li>{@code boiler} (base port): temperature (float32 at HR 0, degC) following the setpoint
 *       (float32 at HR 10, writable) with noise; pressure (uint16 at HR 2, 0.01 bar); burner on
 *       (coil 0) while the temperature is below the setpoint.
 *   <li>{@code tank} (base port + 1): level (int16 at IR 0, 0.1 %) filling and draining; inlet
 *       valve open (coil 0, writable); high-level switch (discrete input 0).
 *   <li>{@code meter} (base port + 2): energy (uint32 CDAB at HR 0, Wh) counting up; power (float32
 *       at HR 2, kW); serial number (string at HR 10).
 * </ul>
 *
 * The matching devices.yaml is {@code bin/plant-devices.yaml}. Runs until killed. Binds 127.0.0.1,
 * or the address given second (the plant's container in the demo stack binds 0.0.0.0).
 */
public final class SimulatedPlant {
  private SimulatedPlant() {}

  /** Entry point: {@code [basePort [bindAddress]]}, default 15020 on 127.0.0.1. */
  public static void main(String[] args) throws InterruptedException, UnknownHostException {
    int base = args.length > 0 ? Integer.parseInt(args[0]) : 15_020;
    InetAddress bind =
        args.length > 1 ? InetAddress.getByName(args[1]) : InetAddress.getLoopbackAddress();
    ModbusTcpSimulator boiler = ModbusTcpSimulator.directAt(bind, base, 1, 100);
    ModbusTcpSimulator tank = ModbusTcpSimulator.directAt(bind, base + 1, 1, 100);
    ModbusTcpSimulator meter = ModbusTcpSimulator.directAt(bind, base + 2, 1, 100);
    boiler.setFloat32(RegisterTable.HOLDING, 10, 65f);
    boiler.setFloat32(RegisterTable.HOLDING, 0, 20f);
    tank.setCoil(0, true);
    meter.setHolding(10, (short) 0x4D54, (short) 0x522D, (short) 0x3031, (short) 0x3233);
    double[] state = {20.0, 400.0, 0.0};
    java.util.Random noise = new java.util.Random(7);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    ticker.scheduleAtFixedRate(
        () -> {
          int spBits = (boiler.holding(10) & 0xFFFF) << 16 | (boiler.holding(11) & 0xFFFF);
          float setpoint = Float.intBitsToFloat(spBits);
          boolean burner = state[0] < setpoint;
          state[0] += (burner ? 0.8 : -0.3) + noise.nextGaussian() * 0.05;
          boiler.setFloat32(RegisterTable.HOLDING, 0, (float) state[0]);
          boiler.setHolding(2, (short) (150 + state[0]));
          boiler.setCoil(0, burner);
          boolean inlet = tank.coil(0);
          state[1] = Math.max(0, Math.min(1000, state[1] + (inlet ? 6 : -4)));
          if (state[1] >= 950) {
            tank.setCoil(0, false);
          } else if (state[1] <= 200) {
            tank.setCoil(0, true);
          }
          tank.setInput(0, (short) state[1]);
          tank.setDiscrete(0, state[1] >= 900);
          double kw = 12 + 3 * Math.sin(System.currentTimeMillis() / 10_000.0);
          state[2] += kw * 1000 / 3600;
          long wh = (long) state[2];
          meter.setHolding(0, (short) wh, (short) (wh >>> 16));
          meter.setFloat32(RegisterTable.HOLDING, 2, (float) kw);
        },
        0,
        Duration.ofSeconds(1).toMillis(),
        TimeUnit.MILLISECONDS);
    System.out.printf(
        "simulated plant: boiler, tank, meter on %s:%d-%d%n",
        bind.getHostAddress(), base, base + 2);
    new CountDownLatch(1).await();
  }
}
