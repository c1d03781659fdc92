//! Accelerators: datasheet peaks per precision, memory, bandwidth, interconnect, power and indicative
//! prices, each of a kind (hyperscaler or GPU-cloud on demand, reserved, or a report's claim). The
//! format is documented in `presets/README.md` (GPU presets).
//!
//! Peaks are the dense figures; the vendors' sparse headlines (2:4 structured sparsity, twice the dense
//! figure) are kept apart and never used in a calculation.

use serde::{Deserialize, Serialize};

use crate::domain::kernels::Generation;
use crate::domain::model::Invalid;
use crate::domain::units::parse::Parsed;
use crate::domain::units::unit::{byte, byte_per_second};
use crate::domain::units::{Bandwidth, ComputeRate, Information, MoneyRate, Power};
use crate::error::{Error, Input};

/// GPUs per scale-up domain when a preset gives none: the eight GPUs of an NVIDIA DGX/HGX node, joined
/// by NVSwitch (NVIDIA DGX H100 and DGX A100 system architecture).
pub const DEFAULT_GPUS_PER_NODE: u64 = 8;

/// The usual scale-out network per GPU, one direction: one 400 Gb/s InfiniBand NDR port per GPU, as
/// in the DGX H100 (eight ConnectX-7 adapters for eight GPUs).
pub fn default_network() -> Bandwidth {
    Bandwidth::new::<byte_per_second>(400e9 / 8.0)
}

/// Numeric precisions a peak can be quoted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Fp64,
    Fp32,
    Tf32,
    Bf16,
    Fp16,
    Fp8,
    Fp6,
    Fp4,
    Int8,
}

impl Precision {
    /// Every precision, widest first.
    pub const ALL: [Precision; 9] = [
        Precision::Fp64,
        Precision::Fp32,
        Precision::Tf32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Fp6,
        Precision::Fp4,
        Precision::Int8,
    ];

    /// Reads a precision by name (`bf16`, `fp8`, ...).
    pub fn from_name(name: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Storage per element: the format's width in bits over 8 (tf32 is stored in 32 bits; IEEE 754 for
    /// fp64, fp32 and fp16, the bfloat16 and OCP FP8/MX formats for bf16, fp8, fp6 and fp4).
    pub fn bytes(self) -> Information {
        let bits = match self {
            Precision::Fp64 => 64.0,
            Precision::Fp32 | Precision::Tf32 => 32.0,
            Precision::Bf16 | Precision::Fp16 => 16.0,
            Precision::Fp8 | Precision::Int8 => 8.0,
            Precision::Fp6 => 6.0,
            Precision::Fp4 => 4.0,
        };
        Information::new::<byte>(bits / 8.0)
    }

    /// Name as typed and printed.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Fp6 => "fp6",
            Precision::Fp4 => "fp4",
            Precision::Int8 => "int8",
        }
    }
}

/// Peak compute per precision, as written in a preset.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeaksSpec {
    pub fp64: Option<Parsed<ComputeRate>>,
    pub fp32: Option<Parsed<ComputeRate>>,
    pub tf32: Option<Parsed<ComputeRate>>,
    pub bf16: Option<Parsed<ComputeRate>>,
    pub fp16: Option<Parsed<ComputeRate>>,
    pub fp8: Option<Parsed<ComputeRate>>,
    pub fp6: Option<Parsed<ComputeRate>>,
    pub fp4: Option<Parsed<ComputeRate>>,
    pub int8: Option<Parsed<ComputeRate>>,
}

impl PeaksSpec {
    fn get(&self, precision: Precision) -> Option<ComputeRate> {
        let peak = match precision {
            Precision::Fp64 => self.fp64,
            Precision::Fp32 => self.fp32,
            Precision::Tf32 => self.tf32,
            Precision::Bf16 => self.bf16,
            Precision::Fp16 => self.fp16,
            Precision::Fp8 => self.fp8,
            Precision::Fp6 => self.fp6,
            Precision::Fp4 => self.fp4,
            Precision::Int8 => self.int8,
        };
        peak.map(|Parsed(rate)| rate)
    }

    fn to_list(&self) -> Vec<(Precision, ComputeRate)> {
        Precision::ALL
            .into_iter()
            .filter_map(|p| self.get(p).map(|rate| (p, rate)))
            .collect()
    }
}

/// `[memory]` as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySpec {
    pub capacity: Parsed<Information>,
    pub marketed: Option<String>,
    pub kind: Option<String>,
    pub bandwidth: Parsed<Bandwidth>,
}

/// `[interconnect]` as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterconnectSpec {
    pub name: String,
    pub bandwidth: Option<Parsed<Bandwidth>>,
    pub gpus_per_node: u64,
    /// The scale-out network per GPU, one direction (a NIC's line rate).
    pub scale_out: Option<Parsed<Bandwidth>>,
}

/// What a price is: who sells at it and on what terms, or that it is a figure a report assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceKind {
    /// A hyperscaler's list price on demand (AWS, Google Cloud, Azure).
    HyperscalerOnDemand,
    /// A GPU cloud's list price on demand (Lambda, CoreWeave, RunPod, Modal, ...).
    NeocloudOnDemand,
    /// A committed-use or reserved rate.
    Reserved,
    /// A figure a report or leak assumed or stated, not a price anyone lists.
    Claim,
}

impl PriceKind {
    /// Every kind, in the order presets list them.
    pub const ALL: [PriceKind; 4] = [
        PriceKind::HyperscalerOnDemand,
        PriceKind::NeocloudOnDemand,
        PriceKind::Reserved,
        PriceKind::Claim,
    ];

    /// Name as written in presets and typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PriceKind::HyperscalerOnDemand => "hyperscaler-on-demand",
            PriceKind::NeocloudOnDemand => "neocloud-on-demand",
            PriceKind::Reserved => "reserved",
            PriceKind::Claim => "claim",
        }
    }

    /// Reads a kind by name.
    pub fn from_name(name: &str) -> Option<PriceKind> {
        PriceKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Every kind's name, for messages.
    pub fn names() -> String {
        PriceKind::ALL.map(PriceKind::name).join(", ")
    }
}

/// One price as written, under `[price]` or as one of several `[[price]]` entries.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    pub per_gpu_hour: Parsed<MoneyRate>,
    /// One of [`PriceKind`]'s names; files written before kinds existed have none.
    pub kind: Option<String>,
    pub source: String,
    pub date: String,
}

/// A preset's prices as written: one `[price]` table, or a `[[price]]` list.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceSpecs {
    pub entries: Vec<PriceSpec>,
    /// Written as a list: fields are then named `price.N.field`.
    pub listed: bool,
}

impl<'de> Deserialize<'de> for PriceSpecs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PriceSpecs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [price] table or a list of [[price]] tables")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PriceSpecs, A::Error> {
                let one = PriceSpec::deserialize(MapAccessDeserializer::new(map))?;
                Ok(PriceSpecs {
                    entries: vec![one],
                    listed: false,
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<PriceSpecs, A::Error> {
                let entries = Vec::<PriceSpec>::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(PriceSpecs {
                    entries,
                    listed: true,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl PriceSpecs {
    /// The dotted name of a field of entry `i`: `price.kind`, or `price.1.kind` in a list.
    fn field(&self, i: usize, name: &str) -> String {
        if self.listed {
            format!("price.{i}.{name}")
        } else {
            format!("price.{name}")
        }
    }
}

/// A GPU preset file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    pub name: String,
    pub vendor: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub source: String,
    pub notes: Option<String>,
    #[serde(default)]
    pub uncertain: Vec<String>,
    pub power: Option<Parsed<Power>>,
    /// The generation whose kernels the step-time model uses; `other` when not given.
    pub generation: Option<Generation>,
    #[serde(default)]
    pub peak: PeaksSpec,
    #[serde(default)]
    pub sparse: PeaksSpec,
    pub memory: MemorySpec,
    pub interconnect: Option<InterconnectSpec>,
    pub price: Option<PriceSpecs>,
}

/// The scale-up link within a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Interconnect {
    pub name: String,
    /// Per GPU, both directions together, as vendors quote it; not every vendor states it.
    pub bandwidth: Option<Bandwidth>,
    pub gpus_per_node: u64,
    /// Scale-out network per GPU, one direction.
    pub scale_out: Option<Bandwidth>,
}

/// An indicative price per GPU-hour, with its kind, and where and when it was read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Price {
    pub per_gpu_hour: MoneyRate,
    /// None in files written before kinds existed.
    pub kind: Option<PriceKind>,
    pub source: String,
    pub date: String,
    /// The preset marks its prices uncertain (`price.per_gpu_hour` under `uncertain`).
    pub uncertain: bool,
}

/// A checked accelerator preset.
#[derive(Clone, Debug, PartialEq)]
pub struct Gpu {
    /// The preset name it was loaded by, or the file path.
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub aliases: Vec<String>,
    pub source: String,
    pub notes: Option<String>,
    /// Dotted fields whose values are uncertain.
    pub uncertain: Vec<String>,
    pub power: Option<Power>,
    pub generation: Generation,
    /// Dense peaks, widest precision first.
    pub peaks: Vec<(Precision, ComputeRate)>,
    /// Sparse headline peaks, never used in calculations.
    pub sparse_peaks: Vec<(Precision, ComputeRate)>,
    pub memory: Information,
    pub memory_marketed: Option<String>,
    pub memory_kind: Option<String>,
    pub memory_bandwidth: Bandwidth,
    pub interconnect: Option<Interconnect>,
    /// Indicative prices, the one to use when no kind is asked for first.
    pub prices: Vec<Price>,
}

/// Fields a preset may mark uncertain.
const FIELDS: [&str; 28] = [
    "power",
    "peak.fp64",
    "peak.fp32",
    "peak.tf32",
    "peak.bf16",
    "peak.fp16",
    "peak.fp8",
    "peak.fp6",
    "peak.fp4",
    "peak.int8",
    "sparse.fp64",
    "sparse.fp32",
    "sparse.tf32",
    "sparse.bf16",
    "sparse.fp16",
    "sparse.fp8",
    "sparse.fp6",
    "sparse.fp4",
    "sparse.int8",
    "memory.capacity",
    "memory.bandwidth",
    "interconnect.bandwidth",
    "interconnect.gpus_per_node",
    "interconnect.scale_out",
    "price.per_gpu_hour",
    "price.kind",
    "price.date",
    "price.source",
];

/// A field's value that is not allowed, and why.
fn invalid(field: &str, message: String) -> Invalid {
    Invalid {
        field: field.to_string(),
        message,
    }
}

/// A training precision (bf16 or fp16) present, every dense peak above zero, and no sparse headline
/// below the dense peak of its precision (2:4 sparsity doubles the dense figure, never lowers it).
fn check_peaks(spec: &GpuSpec) -> Result<(), Invalid> {
    if spec.peak.bf16.is_none() && spec.peak.fp16.is_none() {
        return Err(invalid(
            "peak",
            "[peak] needs a bf16 or fp16 figure: training runs in one of them".into(),
        ));
    }
    for precision in Precision::ALL {
        if spec
            .peak
            .get(precision)
            .is_some_and(|p| p <= ComputeRate::default())
        {
            let field = format!("peak.{}", precision.name());
            return Err(invalid(&field, format!("{field} must be above zero")));
        }
        if let (Some(dense), Some(sparse)) = (spec.peak.get(precision), spec.sparse.get(precision))
            && sparse < dense
        {
            let field = format!("sparse.{}", precision.name());
            return Err(invalid(
                &field,
                format!(
                    "{field} is below peak.{}: [peak] holds dense figures, [sparse] the vendors' sparse headlines",
                    precision.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Memory, bandwidths, power and price above zero where given, and at least one GPU per node.
fn check_sizes(spec: &GpuSpec) -> Result<(), Invalid> {
    let link = |bandwidth: fn(&InterconnectSpec) -> Option<Parsed<Bandwidth>>| {
        spec.interconnect
            .as_ref()
            .and_then(bandwidth)
            .is_some_and(|Parsed(b)| b <= Bandwidth::default())
    };
    let not_positive = [
        (
            "memory.capacity",
            spec.memory.capacity.0 <= Information::default(),
        ),
        (
            "memory.bandwidth",
            spec.memory.bandwidth.0 <= Bandwidth::default(),
        ),
        (
            "power",
            spec.power.is_some_and(|Parsed(p)| p <= Power::default()),
        ),
        ("interconnect.bandwidth", link(|ic| ic.bandwidth)),
        ("interconnect.scale_out", link(|ic| ic.scale_out)),
    ];
    if let Some((field, _)) = not_positive.into_iter().find(|&(_, bad)| bad) {
        return Err(invalid(field, format!("{field} must be above zero")));
    }
    if let Some(ic) = &spec.interconnect
        && ic.gpus_per_node == 0
    {
        return Err(invalid(
            "interconnect.gpus_per_node",
            "interconnect.gpus_per_node must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Every name under `uncertain` one of [`FIELDS`].
fn check_uncertain(spec: &GpuSpec) -> Result<(), Invalid> {
    match spec
        .uncertain
        .iter()
        .find(|f| !FIELDS.contains(&f.as_str()))
    {
        Some(unknown) => Err(invalid(
            "uncertain",
            format!(
                "uncertain names `{unknown}`, which is not a field; allowed: {}",
                FIELDS.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Each price checked: above zero, and of a known kind when one is stated.
fn prices(specs: &PriceSpecs, uncertain: bool) -> Result<Vec<Price>, Invalid> {
    if specs.entries.is_empty() {
        return Err(invalid(
            "price",
            "price lists no entry: give each [[price]] a per_gpu_hour, kind, source and date, or leave price out".into(),
        ));
    }
    let mut out = Vec::new();
    for (i, p) in specs.entries.iter().enumerate() {
        if p.per_gpu_hour.0 <= MoneyRate::default() {
            let field = specs.field(i, "per_gpu_hour");
            return Err(invalid(&field, format!("{field} must be above zero")));
        }
        let kind = match p.kind.as_deref() {
            None => None,
            Some(name) => Some(PriceKind::from_name(name).ok_or_else(|| {
                let field = specs.field(i, "kind");
                invalid(
                    &field,
                    format!(
                        "{field} `{name}` is not a kind of price; allowed: {}",
                        PriceKind::names()
                    ),
                )
            })?),
        };
        out.push(Price {
            per_gpu_hour: p.per_gpu_hour.0,
            kind,
            source: p.source.clone(),
            date: p.date.clone(),
            uncertain,
        });
    }
    Ok(out)
}

impl Gpu {
    /// Checks a spec, naming the first field not allowed: the peaks (a training precision present,
    /// sparse figures not below dense ones), the sizes (positive) and the `uncertain` names (fields);
    /// then builds the GPU from it.
    pub fn from_spec(id: String, spec: GpuSpec) -> Result<Gpu, Invalid> {
        check_peaks(&spec)?;
        check_sizes(&spec)?;
        check_uncertain(&spec)?;
        let uncertain_price = spec.uncertain.iter().any(|f| f == "price.per_gpu_hour");
        let prices = match &spec.price {
            Some(specs) => prices(specs, uncertain_price)?,
            None => Vec::new(),
        };
        Ok(Gpu {
            id,
            name: spec.name,
            vendor: spec.vendor,
            aliases: spec.aliases,
            source: spec.source,
            notes: spec.notes,
            uncertain: spec.uncertain,
            power: spec.power.map(|Parsed(p)| p),
            generation: spec.generation.unwrap_or(Generation::Other),
            peaks: spec.peak.to_list(),
            sparse_peaks: spec.sparse.to_list(),
            memory: spec.memory.capacity.0,
            memory_marketed: spec.memory.marketed,
            memory_kind: spec.memory.kind,
            memory_bandwidth: spec.memory.bandwidth.0,
            interconnect: spec.interconnect.map(|ic| Interconnect {
                name: ic.name,
                bandwidth: ic.bandwidth.map(|Parsed(b)| b),
                gpus_per_node: ic.gpus_per_node,
                scale_out: ic.scale_out.map(|Parsed(b)| b),
            }),
            prices,
        })
    }

    /// The price to use when no kind is asked for: the first the preset lists.
    pub fn price(&self) -> Option<&Price> {
        self.prices.first()
    }

    /// The first price of `kind` the preset lists.
    pub fn price_of(&self, kind: PriceKind) -> Option<&Price> {
        self.prices.iter().find(|p| p.kind == Some(kind))
    }

    /// The dense peak at `precision`, if the part has one.
    pub fn peak(&self, precision: Precision) -> Option<ComputeRate> {
        self.peaks
            .iter()
            .find_map(|&(p, rate)| (p == precision).then_some(rate))
    }

    /// The 16-bit training precision: bf16, or fp16 where the part has no bf16 (V100).
    pub fn training_precision(&self) -> Precision {
        if self.peak(Precision::Bf16).is_some() {
            Precision::Bf16
        } else {
            Precision::Fp16
        }
    }

    /// The precision asked for (the training precision when none is) and its dense peak, or an error
    /// naming the precisions the part has.
    pub fn peak_for(
        &self,
        requested: Option<Precision>,
    ) -> crate::Result<(Precision, ComputeRate)> {
        let precision = requested.unwrap_or_else(|| self.training_precision());
        let peak = self.peak(precision).ok_or_else(|| {
            let have: Vec<&str> = self.peaks.iter().map(|(p, _)| p.name()).collect();
            Error::Invalid {
                input: Input::Precision,
                message: format!(
                    "{} has no {} peak; it has {}",
                    self.name,
                    precision.name(),
                    have.join(", ")
                ),
            }
        })?;
        Ok((precision, peak))
    }

    /// GPUs that share one scale-up link (a node), [`DEFAULT_GPUS_PER_NODE`] when the preset gives none.
    pub fn gpus_per_scale_up_domain(&self) -> u64 {
        self.interconnect
            .as_ref()
            .map_or(DEFAULT_GPUS_PER_NODE, |i| i.gpus_per_node)
    }

    /// Scale-out network per GPU, one direction: the preset's figure, else [`default_network`].
    pub fn scale_out_bandwidth(&self) -> Bandwidth {
        self.interconnect
            .as_ref()
            .and_then(|i| i.scale_out)
            .unwrap_or_else(default_network)
    }

    /// Scale-up bandwidth per GPU, one direction: half the bidirectional figure vendors quote. A GPU
    /// whose preset gives no figure communicates over the scale-out network, `network` per GPU and
    /// direction; every command uses this one rule.
    pub fn scale_up_bandwidth(&self, network: Bandwidth) -> Bandwidth {
        self.interconnect
            .as_ref()
            .and_then(|i| i.bandwidth)
            .map_or(network, |b| b / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_sizes() {
        assert_eq!(Precision::Bf16.bytes().get::<byte>(), 2.0);
        assert_eq!(Precision::Fp8.bytes().get::<byte>(), 1.0);
        assert_eq!(Precision::Fp32.bytes().get::<byte>(), 4.0);
        assert_eq!(Precision::Fp4.bytes().get::<byte>(), 0.5);
    }

    #[test]
    fn the_first_invalid_field_is_named() {
        let check = |extra: &str| {
            let spec: GpuSpec = toml::from_str(&format!(
                "name = \"X\"\nvendor = \"V\"\nsource = \"s\"\n{extra}\n\
                 [memory]\ncapacity = \"32 GiB\"\nbandwidth = \"1 TB/s\"\n"
            ))
            .unwrap();
            Gpu::from_spec("x".into(), spec)
                .map(|_| ())
                .map_err(|e| e.message)
        };
        let bf16 = "[peak]\nbf16 = \"100 TFLOP/s\"";
        assert_eq!(check(bf16), Ok(()));
        assert!(
            check("[peak]\nfp8 = \"1 PFLOP/s\"")
                .unwrap_err()
                .contains("bf16 or fp16")
        );
        assert_eq!(
            check("[peak]\nbf16 = \"0 TFLOP/s\"").unwrap_err(),
            "peak.bf16 must be above zero"
        );
        assert!(
            check(&format!("{bf16}\n[sparse]\nbf16 = \"50 TFLOP/s\""))
                .unwrap_err()
                .starts_with("sparse.bf16 is below peak.bf16")
        );
        assert_eq!(
            check(&format!("power = \"0 W\"\nuncertain = [\"x\"]\n{bf16}")).unwrap_err(),
            "power must be above zero"
        );
        let link = "[interconnect]\nname = \"l\"\ngpus_per_node = 0\nscale_out = \"0 GB/s\"";
        assert_eq!(
            check(&format!("{bf16}\n{link}")).unwrap_err(),
            "interconnect.scale_out must be above zero"
        );
        let link = "[interconnect]\nname = \"l\"\ngpus_per_node = 0";
        assert_eq!(
            check(&format!("{bf16}\n{link}")).unwrap_err(),
            "interconnect.gpus_per_node must be at least 1"
        );
        assert!(
            check(&format!("uncertain = [\"peak.bf17\"]\n{bf16}"))
                .unwrap_err()
                .starts_with("uncertain names `peak.bf17`, which is not a field")
        );
    }

    #[test]
    fn prices_are_read_as_one_table_or_a_list_and_their_kinds_checked() {
        let read = |price: &str| {
            let spec: GpuSpec = toml::from_str(&format!(
                "name = \"X\"\nvendor = \"V\"\nsource = \"s\"\nprice = {price}\n[peak]\nbf16 = \"100 TFLOP/s\"\n\
                 [memory]\ncapacity = \"32 GiB\"\nbandwidth = \"1 TB/s\"\n"
            ))
            .map_err(|e| e.message().to_string())?;
            Gpu::from_spec("x".into(), spec).map_err(|e| e.message)
        };
        let one = "{ per_gpu_hour = \"$2/h\", source = \"s\", date = \"2026\" }";
        let gpu = read(one).unwrap();
        assert_eq!(gpu.prices.len(), 1);
        assert_eq!(gpu.price().unwrap().kind, None);
        let listed = format!(
            "[{one}, {{ per_gpu_hour = \"$1/h\", kind = \"reserved\", source = \"s\", date = \"2026\" }}]"
        );
        let gpu = read(&listed).unwrap();
        assert_eq!(gpu.price_of(PriceKind::Reserved).unwrap().date, "2026");
        assert_eq!(gpu.price_of(PriceKind::Claim), None);
        assert!(
            read(&listed.replace("reserved", "spot"))
                .unwrap_err()
                .starts_with(
                    "price.1.kind `spot` is not a kind of price; allowed: hyperscaler-on-demand"
                )
        );
        assert!(read("[]").unwrap_err().starts_with("price lists no entry"));
        assert!(
            read("5")
                .unwrap_err()
                .contains("a [price] table or a list of [[price]] tables")
        );
        assert_eq!(
            read(&one.replace("$2/h", "$0/h")).unwrap_err(),
            "price.per_gpu_hour must be above zero"
        );
    }

    #[test]
    fn scale_up_falls_back_to_the_network() {
        let spec: GpuSpec = toml::from_str(
            "name = \"X\"\nvendor = \"V\"\nsource = \"s\"\n[peak]\nbf16 = \"100 TFLOP/s\"\n\
             [memory]\ncapacity = \"32 GiB\"\nbandwidth = \"1 TB/s\"\n\
             [interconnect]\nname = \"link\"\ngpus_per_node = 4\n",
        )
        .unwrap();
        let mut gpu = Gpu::from_spec("x".into(), spec).unwrap();
        let network = default_network();
        assert_eq!(gpu.scale_up_bandwidth(network), network);
        assert_eq!(gpu.gpus_per_scale_up_domain(), 4);
        // A quoted figure is both directions together: half of it each way.
        gpu.interconnect.as_mut().unwrap().bandwidth =
            Some(Bandwidth::new::<byte_per_second>(900e9));
        assert_eq!(
            gpu.scale_up_bandwidth(network).get::<byte_per_second>(),
            450e9
        );
        gpu.interconnect = None;
        assert_eq!(gpu.gpus_per_scale_up_domain(), DEFAULT_GPUS_PER_NODE);
    }
}
