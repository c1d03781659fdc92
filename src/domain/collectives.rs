//! How long the communication of a training step takes, over a two-level fabric: a scale-up domain
//! (NVLink/NVSwitch among the 8 GPUs of a DGX node or the 72 of a GB200 NVL72 rack; TPU ICI) and a
//! scale-out network with one NIC per GPU.
//!
//! - Ranks are numbered with tensor parallelism fastest, then context, then data (and expert)
//!   parallelism, then pipeline stages, as Megatron-LM orders them; a group of `n` ranks whose
//!   neighbours sit `stride` ranks apart has `min(n, domain / stride)` of its members in one domain.
//! - A ring collective inside one domain runs at the scale-up bandwidth. One that spans domains runs
//!   its rings through every member of a domain before crossing to the next, one ring per NIC, so its
//!   bus bandwidth is the domain's aggregate network bandwidth — the per-GPU NIC times the members in
//!   the domain — capped by the scale-up link (NCCL's ring and tree algorithms; Jeaugey, "NCCL 2.0",
//!   GTC 2017).
//! - Ring all-reduce moves 2(n−1)/n of the buffer per GPU, all-gather and reduce-scatter (n−1)/n
//!   (Patarasuk and Yuan 2009; Thakur et al. 2005), each with one latency per ring step. An all-to-all
//!   sends (n−1)/n of the buffer away: the share to members of the same domain over the scale-up link,
//!   the rest over the NIC, in parallel.
//!
//! The achieved share of the link bandwidth and the latency per step are fitted constants
//! ([`LinkConstants::CALIBRATED`]).

use serde::Serialize;

/// The fitted constants of the communication model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LinkConstants {
    /// Fraction of the quoted link bandwidth a large collective achieves.
    pub efficiency: f64,
    /// Seconds per ring step (or per peer of an all-to-all).
    pub latency: f64,
    /// Share of the expert-parallel all-to-all time left on the critical path (the rest overlaps with
    /// the experts' and the attention's computation).
    pub all_to_all_exposed: f64,
}

impl LinkConstants {
    /// The values fitted on the calibration runs.
    pub const CALIBRATED: LinkConstants = LinkConstants {
        efficiency: 0.8062,
        latency: 25.78e-6,
        all_to_all_exposed: 0.3413,
    };
}

/// The fabric joining the GPUs, in bytes per second per GPU and direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fabric {
    pub scale_up: f64,
    /// GPUs per scale-up domain.
    pub domain: u64,
    pub scale_out: f64,
    pub constants: LinkConstants,
}

impl Fabric {
    /// Members of a group of `ranks` spaced `stride` apart that share one scale-up domain.
    fn members_per_domain(&self, ranks: u64, stride: u64) -> u64 {
        (self.domain / stride.max(1)).clamp(1, ranks.max(1))
    }

    /// Bus bandwidth of a ring over the group (see the module notes).
    fn bus_bandwidth(&self, ranks: u64, stride: u64) -> f64 {
        let inside = self.members_per_domain(ranks, stride);
        let bandwidth = if inside >= ranks {
            self.scale_up
        } else {
            self.scale_up.min(self.scale_out * inside as f64)
        };
        bandwidth * self.constants.efficiency
    }

    /// Seconds of a ring all-reduce of `bytes` over `ranks` GPUs spaced `stride` apart.
    pub fn all_reduce(&self, bytes: f64, ranks: u64, stride: u64) -> f64 {
        if ranks <= 1 {
            return 0.0;
        }
        let n = ranks as f64;
        2.0 * (n - 1.0) / n * bytes / self.bus_bandwidth(ranks, stride)
            + 2.0 * (n - 1.0) * self.constants.latency
    }

    /// Seconds of a ring all-gather (or reduce-scatter) whose gathered buffer is `bytes`.
    pub fn all_gather(&self, bytes: f64, ranks: u64, stride: u64) -> f64 {
        if ranks <= 1 {
            return 0.0;
        }
        let n = ranks as f64;
        (n - 1.0) / n * bytes / self.bus_bandwidth(ranks, stride)
            + (n - 1.0) * self.constants.latency
    }

    /// Seconds of an all-to-all in which each GPU holds `bytes` to scatter over `ranks` GPUs spaced
    /// `stride` apart.
    pub fn all_to_all(&self, bytes: f64, ranks: u64, stride: u64) -> f64 {
        if ranks <= 1 {
            return 0.0;
        }
        let n = ranks as f64;
        let inside = self.members_per_domain(ranks, stride) as f64;
        let e = self.constants.efficiency;
        let near = (inside - 1.0) / n * bytes / (self.scale_up * e);
        let far = (n - inside) / n * bytes / (self.scale_out * e);
        near.max(far) + n * self.constants.latency
    }

    /// Seconds of a one-shot all-reduce of `bytes` over `ranks` GPUs of one scale-up domain, as
    /// serving engines run the small all-reduces of decode (TensorRT-LLM's custom all-reduce and its
    /// NVSwitch MultiShot, NVIDIA technical blog, Nov 2024; vLLM's and SGLang's custom all-reduce
    /// kernels): each GPU reads the n − 1 other buffers over the scale-up link and sums them, in one
    /// kernel and one synchronisation of fixed cost `latency` instead of 2(n − 1) ring steps. A group
    /// that spans domains runs the ring ([`Fabric::all_reduce`]).
    pub fn one_shot_all_reduce(&self, bytes: f64, ranks: u64, stride: u64, latency: f64) -> f64 {
        if ranks <= 1 {
            return 0.0;
        }
        if self.members_per_domain(ranks, stride) < ranks {
            return self.all_reduce(bytes, ranks, stride);
        }
        let bandwidth = self.scale_up * self.constants.efficiency;
        latency + (ranks - 1) as f64 * bytes / bandwidth
    }

    /// Seconds to send `bytes` to a GPU `stride` ranks away (a pipeline stage boundary).
    pub fn send(&self, bytes: f64, stride: u64) -> f64 {
        bytes / self.bus_bandwidth(2, stride) + self.constants.latency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DGX H100: 8 GPUs on NVLink 4 (450 GB/s each way), one 400 Gb/s NIC per GPU; ideal links.
    fn dgx_h100() -> Fabric {
        Fabric {
            scale_up: 450e9,
            domain: 8,
            scale_out: 50e9,
            constants: LinkConstants {
                efficiency: 1.0,
                latency: 0.0,
                all_to_all_exposed: 1.0,
            },
        }
    }

    #[test]
    fn a_tensor_parallel_all_reduce_stays_on_nvlink() {
        // 8 ranks, 1 GB: 2 × 7/8 × 1e9 / 450e9 = 3.889 ms.
        let t = dgx_h100().all_reduce(1e9, 8, 1);
        assert!((t - 2.0 * 7.0 / 8.0 * 1e9 / 450e9).abs() < 1e-15);
    }

    #[test]
    fn a_data_parallel_ring_across_nodes_runs_at_the_node_aggregate() {
        // 64 ranks with TP 1: 8 per node, bus bandwidth min(450, 8 × 50) = 400 GB/s.
        let t = dgx_h100().all_reduce(1e9, 64, 1);
        assert!((t - 2.0 * 63.0 / 64.0 * 1e9 / 400e9).abs() < 1e-15);
        // With TP 8 each node holds one member: the NIC alone, 50 GB/s.
        let t = dgx_h100().all_reduce(1e9, 64, 8);
        assert!((t - 2.0 * 63.0 / 64.0 * 1e9 / 50e9).abs() < 1e-15);
    }

    #[test]
    fn a_one_shot_all_reduce_pays_one_latency() {
        // 8 ranks, 64 KB, 6 µs: 6 µs + 7 × 65,536 / 450e9 = 7.019 µs; across two domains, the ring.
        let t = dgx_h100().one_shot_all_reduce(65536.0, 8, 1, 6e-6);
        assert!((t - (6e-6 + 7.0 * 65536.0 / 450e9)).abs() < 1e-15);
        let ring = dgx_h100().all_reduce(65536.0, 16, 1);
        assert_eq!(dgx_h100().one_shot_all_reduce(65536.0, 16, 1, 6e-6), ring);
    }

    #[test]
    fn an_all_to_all_splits_near_and_far_traffic() {
        // 16 ranks, 8 per node: 7/16 of the buffer over NVLink, 8/16 over the NIC; the NIC dominates.
        let t = dgx_h100().all_to_all(1e9, 16, 1);
        assert!((t - 8.0 / 16.0 * 1e9 / 50e9).abs() < 1e-15);
        assert_eq!(dgx_h100().all_to_all(1e9, 1, 1), 0.0);
    }
}
