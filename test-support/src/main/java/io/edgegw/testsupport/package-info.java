/**
 * Real components and device simulators for the services' integration tests, used with test scope
 * only.
 *
 * <ul>
 *   <li>{@link io.edgegw.testsupport.MosquittoBroker}: a {@code mosquitto} process with users,
 *       random passwords, an optional ACL and persistence; with a TLS listener (optionally
 *       requiring client certificates) it stands in for the cloud broker.
 *   <li>{@link io.edgegw.testsupport.TestPki}: CAs, server and client certificates (PEM, keys 0600)
 *       with chosen names and validity, for the TLS tests.
 *   <li>{@link io.edgegw.testsupport.ModbusTcpSimulator}: a j2mod Modbus TCP slave behind a
 *       fault-injecting proxy ({@link io.edgegw.testsupport.ModbusTcpSimulator.Fault}), or bare for
 *       many devices.
 *   <li>{@link io.edgegw.testsupport.SerialLinePair} and {@link
 *       io.edgegw.testsupport.ModbusRtuSimulator}: a socat pty pair as an RS-485 line, and j2mod
 *       RTU units on its device side. Read {@link io.edgegw.testsupport.LineSettings} before
 *       choosing parity or baud rate.
 *   <li>{@link io.edgegw.testsupport.BusObserver}: a recording MQTT subscriber on the local bus.
 *   <li>{@link io.edgegw.testsupport.ServiceProcess}: a packaged Quarkus service as a child JVM, to
 *       kill, stop and restart on the same port, with secrets only in its environment.
 *   <li>{@link io.edgegw.testsupport.FreePorts}: a free TCP port on 127.0.0.1.
 * </ul>
 *
 * <p>Everything listens on 127.0.0.1 only, on a free port, with its files in a fresh temporary
 * directory. Each launcher waits for readiness with a deadline, fails with the component's log when
 * it does not come up, and cleans up on {@code close()}: use try-with-resources or
 * {@code @AfterAll}. A missing program fails with the Debian package to install ({@code mosquitto},
 * {@code socat}).
 */
package io.edgegw.testsupport;
