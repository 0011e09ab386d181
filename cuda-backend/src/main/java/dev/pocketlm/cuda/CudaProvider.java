package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.spi.BackendProvider;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Probe;

/**
 * {@code cuda} and {@code cuda:N} (device ordinal N, default 0) through JCuda's driver API. System property
 * {@code pocket.cuda.matvec} picks the quantized matvec kernel ({@link QuantMatvec}).
 */
public final class CudaProvider implements BackendProvider {
    @Override public String name() { return "cuda"; }

    @Override public Probe probe() { return CudaProbe.run(); }

    @Override public int score() { return 300; }

    @Override public Backend open(String device) {
        Probe probe = probe();
        if (!probe.available()) throw new IllegalStateException("cuda cannot start: " + probe.reason());
        int ordinal;
        try {
            ordinal = device.isEmpty() ? 0 : Integer.parseInt(device);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cuda: device '" + device + "' is not an ordinal; use cuda or cuda:N");
        }
        DeviceInfo info = probe.devices().stream().filter(d -> d.index() == ordinal).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("cuda: no usable device " + ordinal + "; found " + probe.devices()));
        return new CudaBackend("cuda:" + ordinal, info, QuantMatvec.configured());
    }
}
