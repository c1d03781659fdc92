//! A checked model architecture: every field present, every value in range, every relation between
//! fields (heads divide d_model, kv heads divide heads, top-k within the experts) holding.

use serde::Serialize;

use super::spec::{ArchitectureSpec, MlaSpec, ModelSpec, MoeSpec, StackSpec, WindowSpec};
pub use super::spec::{Mlp, Norm, Positional, QkNorm, WindowKind};

/// Upper bounds on sizes. They are far above any published model (d_model 18,432, 2,048 experts, 256k
/// vocabulary) and keep every product well inside 128-bit integers, so a typo such as an extra digit
/// group is caught as out of range rather than producing an absurd count.
const MAX_DIM: u64 = 1 << 22;
const MAX_LAYERS: u64 = 1 << 16;
const MAX_HEADS: u64 = 1 << 16;
const MAX_VOCAB: u64 = 1 << 26;
const MAX_CONTEXT: u64 = 1 << 30;
const MAX_EXPERTS: u64 = 1 << 20;

/// The three shapes of transformer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// GPT, Llama: one causal stack.
    DecoderOnly,
    /// BERT: one bidirectional stack.
    EncoderOnly,
    /// T5: a bidirectional encoder and a causal decoder with cross-attention.
    EncoderDecoder,
}

impl Kind {
    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Kind::DecoderOnly => "decoder-only",
            Kind::EncoderOnly => "encoder-only",
            Kind::EncoderDecoder => "encoder-decoder",
        }
    }
}

/// Which stack of a transformer: the bidirectional encoder or the causal decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StackKind {
    Encoder,
    Decoder,
}

impl StackKind {
    /// Name as printed, and as the preset's table is called.
    pub fn name(self) -> &'static str {
        match self {
            StackKind::Encoder => "encoder",
            StackKind::Decoder => "decoder",
        }
    }
}

/// A complete, checked architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    pub vocab: u64,
    pub d_model: u64,
    pub context: u64,
    pub positional: Positional,
    /// Relative-position buckets per head, used when `positional` is `Relative`.
    pub relative_buckets: u64,
    pub tied_embeddings: bool,
    pub output_bias: bool,
    pub norm: Norm,
    pub bias: bool,
    pub norm_bias: bool,
    pub final_norm: bool,
    pub token_types: u64,
    pub embedding_norm: bool,
    pub pooler: bool,
    pub encoder: Option<Stack>,
    pub decoder: Option<Stack>,
}

/// One stack of identical-shape blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub layers: u64,
    pub heads: u64,
    pub kv_heads: u64,
    pub head_dim: u64,
    pub ffn: u64,
    pub mlp: Mlp,
    pub norms_per_layer: u64,
    /// Decoder blocks of an encoder-decoder attend to the encoder output.
    pub cross_attention: bool,
    /// Biases on the query, key and value projections (Qwen2), without biases elsewhere.
    pub qkv_bias: bool,
    pub qk_norm: Option<QkNorm>,
    /// A learned sink logit per head (gpt-oss): `heads` parameters per layer.
    pub attention_sinks: bool,
    /// Multi-token prediction modules (DeepSeek-V3 §2.2), counted apart from the main model.
    pub mtp_modules: u64,
    pub moe: Option<Moe>,
    /// Multi-head Latent Attention; `head_dim` is then qk_nope_head_dim + qk_rope_head_dim.
    pub mla: Option<Mla>,
    pub window: Option<Window>,
}

/// Multi-head Latent Attention (DeepSeek-AI 2024, "DeepSeek-V2", arXiv:2405.04434, §2.1, eq. 9–19):
/// keys and values are up-projected from a compressed latent c_KV of `kv_lora_rank` (d_c), queries
/// from a latent of `q_lora_rank` (d'_c) or directly from the hidden state, and a decoupled rotary key
/// of `qk_rope_head_dim` (d_h^R) is shared by all heads. A token caches only c_KV and the rotary key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mla {
    pub q_lora_rank: Option<u64>,
    pub kv_lora_rank: u64,
    pub qk_nope_head_dim: u64,
    pub qk_rope_head_dim: u64,
    pub v_head_dim: u64,
}

/// Local attention on some layers. Sliding (Beltagy et al. 2020; Jiang et al. 2023, Mistral 7B, §2): a
/// query of a windowed layer attends to the last `size` tokens. Chunked (Llama 4's
/// `attention_chunk_size`): the sequence is cut into chunks of `size` and a query attends only to
/// the keys of its own chunk — transformers' `chunked_overlay` in `masking_utils.py` keeps key k for
/// query q when ⌊k/size⌋ = ⌊q/size⌋, laid over the causal mask, as Meta's reference
/// `create_chunked_attention_mask` (meta-llama/llama-models, `models/llama4/model.py`) does. With
/// `global_every = k`, layers k−1, 2k−1, … attend to the whole context (Gemma 2 alternates, k = 2;
/// Gemma 3 has five local layers per global one, k = 6; gpt-oss alternates; Llama 4 has three
/// chunked layers per global one, k = 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub kind: WindowKind,
    pub size: u64,
    pub global_every: Option<u64>,
}

impl Window {
    /// Whether block `layer` (from 0) is windowed.
    pub fn is_windowed(&self, layer: u64) -> bool {
        self.global_every
            .is_none_or(|k| !(layer + 1).is_multiple_of(k))
    }

    /// Tokens a windowed layer caches for a sequence of `context` tokens: at most `size`. A chunked
    /// layer needs only the current chunk's keys, between 1 and `size` as decoding moves through it;
    /// the cap counts the `size` that engines allocate per sequence (transformers'
    /// `HybridChunkedCache` holds `attention_chunk_size` tokens on those layers).
    pub fn cached_tokens(&self, context: u64) -> u64 {
        context.min(self.size)
    }

    /// Tokens the query at position `context` (from 1) of a windowed layer reads: the last `size` on
    /// a sliding layer; on a chunked layer only its own chunk's, ((n − 1) mod c) + 1 (the mask of
    /// [`WindowKind::Chunked`]).
    pub fn read_tokens(&self, context: u64) -> u64 {
        match (self.kind, context) {
            (_, 0) => 0,
            (WindowKind::Sliding, n) => n.min(self.size),
            (WindowKind::Chunked, n) => (n - 1) % self.size + 1,
        }
    }
}

impl WindowKind {
    /// What the local span is called in a description: "window" or "chunks".
    pub fn noun(self) -> &'static str {
        match self {
            WindowKind::Sliding => "window",
            WindowKind::Chunked => "chunks",
        }
    }
}

/// Keys a query attends to on average over a sequence of `len` tokens, on a global layer (`None`) or
/// a windowed one. Without a mask, every key, the window, or the whole chunk; under a causal mask
/// the query at position i (from 1) sees i keys, min(i, w) with a window w, which averages to
/// len/2 — and to w − w²/(2·len) once len exceeds w (treating positions as continuous, as Kaplan et
/// al.'s half does). Chunks: [`chunked_mean_keys`].
pub fn mean_keys(len: f64, window: Option<Window>, causal: bool) -> f64 {
    if let Some(w) = window.filter(|w| w.kind == WindowKind::Chunked) {
        return chunked_mean_keys(len, w.size as f64, causal);
    }
    match (window.map(|w| w.size as f64), causal) {
        (Some(w), false) => len.min(w),
        (Some(w), true) if len > w => w - w * w / (2.0 * len),
        (_, true) => 0.5 * len,
        (None, false) => len,
    }
}

/// Mean keys per query on a chunked layer, exactly: `len` = m·c + r tokens make m full chunks of c
/// and a last chunk of r. Under the causal mask the i-th query of a chunk (from 1) sees i keys, so a
/// chunk of c sums to c(c+1)/2 and the mean is (m·c(c+1)/2 + r(r+1)/2)/len, about c/2 for len ≫ c
/// (a window of c averages about c). Without a mask each query sees its whole chunk:
/// (m·c² + r²)/len.
fn chunked_mean_keys(len: f64, c: f64, causal: bool) -> f64 {
    if len <= 0.0 {
        return 0.0;
    }
    let full = (len / c).floor();
    let rest = len - full * c;
    let per_chunk = |n: f64| if causal { n * (n + 1.0) / 2.0 } else { n * n };
    (full * per_chunk(c) + per_chunk(rest)) / len
}

/// Mixture-of-Experts layers of a stack.
#[derive(Clone, Debug, PartialEq)]
pub struct Moe {
    pub experts: u64,
    pub top_k: u64,
    pub shared_experts: u64,
    pub expert_ffn: u64,
    pub every: u64,
    pub first_dense: u64,
    pub router_bias: bool,
    pub shared_gate: bool,
}

impl Moe {
    /// Whether block `layer` (from 0) is a MoE block: from `first_dense` on, every `every`-th block,
    /// so that `every = 2` makes the odd blocks MoE as in Switch Transformer (Fedus et al. 2021, §2).
    pub fn is_moe_layer(&self, layer: u64) -> bool {
        layer >= self.first_dense && (layer - self.first_dense + 1).is_multiple_of(self.every)
    }

    /// How many of `layers` blocks are MoE blocks.
    pub fn moe_layers(&self, layers: u64) -> u64 {
        (0..layers).filter(|&l| self.is_moe_layer(l)).count() as u64
    }
}

impl Stack {
    /// Width of the query projection (and of the attention output), heads × head_dim.
    pub fn q_dim(&self) -> u64 {
        self.heads * self.head_dim
    }

    /// Width of each of the key and value projections, kv_heads × head_dim.
    pub fn kv_dim(&self) -> u64 {
        self.kv_heads * self.head_dim
    }

    /// Width of the attention's weighted values, the output projection's input: heads × the value
    /// head width (head_dim, or MLA's v_head_dim).
    pub fn v_dim(&self) -> u64 {
        self.heads * self.mla.map_or(self.head_dim, |m| m.v_head_dim)
    }

    /// Blocks whose attention is windowed.
    pub fn windowed_layers(&self) -> u64 {
        self.window.map_or(0, |w| {
            (0..self.layers).filter(|&l| w.is_windowed(l)).count() as u64
        })
    }

    /// Elements one layer caches per token: a key and a value per key/value head (Pope et al. 2022,
    /// §2), or for MLA the latent c_KV and the shared rotary key, (d_c + d_h^R) (DeepSeek-V2, §2.1.2
    /// and Table 1).
    pub fn kv_elements_per_layer(&self) -> u64 {
        match self.mla {
            Some(m) => m.kv_lora_rank + m.qk_rope_head_dim,
            None => 2 * self.kv_dim(),
        }
    }

    /// Elements one sequence of `context` tokens caches over all layers: windowed layers keep at most
    /// the window's or the chunk's tokens ([`Window::cached_tokens`]).
    pub fn kv_elements(&self, context: u64) -> f64 {
        let capped = self.window.map_or(context, |w| w.cached_tokens(context));
        self.kv_elements_at(context, capped)
    }

    /// Elements over all layers, `global` tokens on each global layer and `windowed` on each
    /// windowed one.
    fn kv_elements_at(&self, global: u64, windowed: u64) -> f64 {
        let local = self.windowed_layers();
        let tokens = (self.layers - local) as f64 * global as f64 + local as f64 * windowed as f64;
        tokens * self.kv_elements_per_layer() as f64
    }

    /// Elements a decoding token at position `context` reads from its sequence's cache over all
    /// layers: windowed layers read [`Window::read_tokens`].
    pub fn kv_read_elements(&self, context: u64) -> f64 {
        let read = self.window.map_or(context, |w| w.read_tokens(context));
        self.kv_elements_at(context, read)
    }

    /// Blocks with a MoE MLP.
    pub fn moe_layers(&self) -> u64 {
        self.moe.as_ref().map_or(0, |m| m.moe_layers(self.layers))
    }

    /// Blocks with a dense MLP.
    pub fn dense_layers(&self) -> u64 {
        self.layers - self.moe_layers()
    }

    /// Name of the attention scheme: MLA, MHA, GQA or MQA (DeepSeek-AI 2024; Ainslie et al. 2023;
    /// Shazeer 2019).
    pub fn attention_kind(&self) -> &'static str {
        if self.mla.is_some() {
            "MLA"
        } else if self.kv_heads == self.heads {
            "MHA"
        } else if self.kv_heads == 1 {
            "MQA"
        } else {
            "GQA"
        }
    }
}

impl Architecture {
    /// Which of the three shapes this is.
    pub fn kind(&self) -> Kind {
        match (&self.encoder, &self.decoder) {
            (Some(_), Some(_)) => Kind::EncoderDecoder,
            (Some(_), None) => Kind::EncoderOnly,
            _ => Kind::DecoderOnly,
        }
    }

    /// The stacks present, with their kinds, encoder first.
    pub fn stacks(&self) -> impl Iterator<Item = (StackKind, &Stack)> {
        [
            (StackKind::Encoder, &self.encoder),
            (StackKind::Decoder, &self.decoder),
        ]
        .into_iter()
        .filter_map(|(kind, stack)| stack.as_ref().map(|s| (kind, s)))
    }

    /// Whether the model has an output head producing vocabulary logits. Encoder-only presets describe
    /// the encoder as published (BERT's 110M excludes the masked-LM head), so they have none.
    pub fn has_output_head(&self) -> bool {
        self.decoder.is_some()
    }

    /// Parameters of one normalisation layer.
    pub fn norm_params(&self) -> u64 {
        self.norm_params_of(self.d_model)
    }

    /// Parameters of one normalisation layer over `width` channels.
    pub fn norm_params_of(&self, width: u64) -> u64 {
        match self.norm {
            Norm::LayerNorm => width * (1 + u64::from(self.norm_bias)),
            Norm::RmsNorm => width,
            Norm::NonParametric => 0,
        }
    }
}

/// A field whose value is not allowed: its dotted path and the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

/// What a preset says about the architecture.
#[derive(Clone, Debug, PartialEq)]
pub enum Checked {
    /// Everything needed, every value allowed.
    Complete(Box<Architecture>),
    /// Some required fields absent (their dotted paths); commands needing them say so.
    Partial(Vec<String>),
    /// No architecture at all: a claims-only preset.
    Absent,
}

/// Collects missing fields and the first invalid value while checking a spec.
struct Checker {
    missing: Vec<String>,
    invalid: Option<(String, String)>,
}

impl Checker {
    fn required<T: Copy>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.missing.push(path.to_string());
        }
        value
    }

    fn invalid(&mut self, path: &str, message: String) {
        if self.invalid.is_none() {
            self.invalid = Some((path.to_string(), message));
        }
    }

    /// A required size in `1..=max`.
    fn size(&mut self, path: &str, value: Option<u64>, max: u64) -> Option<u64> {
        let value = self.required(path, value)?;
        self.in_range(path, value, 1, max)
    }

    fn in_range(&mut self, path: &str, value: u64, min: u64, max: u64) -> Option<u64> {
        if value < min || value > max {
            self.invalid(
                path,
                format!("{path} = {value} is out of range: it must be from {min} to {max}"),
            );
            return None;
        }
        Some(value)
    }

    /// An optional size in `min..=max` with a default.
    fn optional(
        &mut self,
        path: &str,
        value: Option<u64>,
        default: u64,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        match value {
            Some(v) => self.in_range(path, v, min, max),
            None => Some(default),
        }
    }
}

/// Checks the architecture a spec describes.
pub fn check(spec: &ModelSpec) -> Result<Checked, Invalid> {
    if spec.architecture.is_none() && spec.encoder.is_none() && spec.decoder.is_none() {
        return Ok(Checked::Absent);
    }
    let mut c = Checker {
        missing: Vec::new(),
        invalid: None,
    };
    let default_arch = ArchitectureSpec::default();
    let a = spec.architecture.as_ref().unwrap_or(&default_arch);
    let globals = Globals::check(&mut c, a);
    if spec.encoder.is_none() && spec.decoder.is_none() {
        c.missing.push("decoder or encoder".into());
    }
    let cross = spec.encoder.is_some();
    let encoder = spec
        .encoder
        .as_ref()
        .and_then(|s| check_stack(&mut c, StackKind::Encoder.name(), s, globals.d_model, false));
    let decoder = spec
        .decoder
        .as_ref()
        .and_then(|s| check_stack(&mut c, StackKind::Decoder.name(), s, globals.d_model, cross));
    if let Some((field, message)) = c.invalid {
        return Err(Invalid { field, message });
    }
    if !c.missing.is_empty() {
        return Ok(Checked::Partial(c.missing));
    }
    // Every `None` among the globals recorded a missing or invalid field, handled above.
    Ok(globals
        .complete(a, encoder, decoder)
        .map_or(Checked::Partial(Vec::new()), |arch| {
            Checked::Complete(Box::new(arch))
        }))
}

/// The `[architecture]` fields, each checked: `None` where missing or invalid (recorded in the
/// checker).
struct Globals {
    vocab: Option<u64>,
    d_model: Option<u64>,
    context: Option<u64>,
    positional: Option<Positional>,
    relative_buckets: Option<u64>,
    tied_embeddings: Option<bool>,
    norm: Option<Norm>,
    bias: Option<bool>,
    norm_bias: bool,
    token_types: Option<u64>,
}

impl Globals {
    fn check(c: &mut Checker, a: &ArchitectureSpec) -> Globals {
        // Checked in the order of the preset format, so missing fields are listed in that order.
        let vocab = c.size("architecture.vocab", a.vocab, MAX_VOCAB);
        let d_model = c.size("architecture.d_model", a.d_model, MAX_DIM);
        let context = c.size("architecture.context", a.context, MAX_CONTEXT);
        let positional = c.required("architecture.positional", a.positional);
        let relative_buckets = c.optional(
            "architecture.relative_buckets",
            a.relative_buckets,
            32,
            1,
            MAX_CONTEXT,
        );
        let tied_embeddings = c.required("architecture.tied_embeddings", a.tied_embeddings);
        let norm = c.required("architecture.norm", a.norm);
        let bias = c.required("architecture.bias", a.bias);
        let token_types = c.optional("architecture.token_types", a.token_types, 0, 0, MAX_VOCAB);
        if a.norm_bias == Some(true) && matches!(norm, Some(Norm::RmsNorm | Norm::NonParametric)) {
            c.invalid(
                "architecture.norm_bias",
                "architecture.norm_bias = true is allowed only with norm = \"layernorm\"".into(),
            );
        }
        Globals {
            vocab,
            d_model,
            context,
            positional,
            relative_buckets,
            tied_embeddings,
            norm,
            bias,
            // Layer norms carry a bias where the linear layers do (GPT-2, BERT), unless told.
            norm_bias: a
                .norm_bias
                .unwrap_or(norm == Some(Norm::LayerNorm) && bias == Some(true)),
            token_types,
        }
    }

    /// The architecture, once every required field is known.
    fn complete(
        self,
        a: &ArchitectureSpec,
        encoder: Option<Stack>,
        decoder: Option<Stack>,
    ) -> Option<Architecture> {
        Some(Architecture {
            vocab: self.vocab?,
            d_model: self.d_model?,
            context: self.context?,
            positional: self.positional?,
            relative_buckets: self.relative_buckets.unwrap_or(32),
            tied_embeddings: self.tied_embeddings?,
            output_bias: a.output_bias.unwrap_or(false),
            norm: self.norm?,
            bias: self.bias?,
            norm_bias: self.norm_bias,
            final_norm: a.final_norm.unwrap_or(true),
            token_types: self.token_types.unwrap_or(0),
            embedding_norm: a.embedding_norm.unwrap_or(false),
            pooler: a.pooler.unwrap_or(false),
            encoder,
            decoder,
        })
    }
}

fn check_stack(
    c: &mut Checker,
    name: &str,
    s: &StackSpec,
    d_model: Option<u64>,
    cross_attention: bool,
) -> Option<Stack> {
    let path = |field: &str| format!("{name}.{field}");
    let layers = c.size(&path("layers"), s.layers, MAX_LAYERS);
    let heads = c.size(&path("heads"), s.heads, MAX_HEADS);
    let ffn = c.size(&path("ffn"), s.ffn, MAX_DIM);
    let mlp = c.required(&path("mlp"), s.mlp);
    let mla = match &s.mla {
        Some(m) => Some(check_mla(c, name, m, s)?),
        None => None,
    };
    let kv_heads = check_kv_heads(c, name, s.kv_heads, heads)?;
    let given_head_dim = mla.map_or(s.head_dim, |m| {
        Some(m.qk_nope_head_dim + m.qk_rope_head_dim)
    });
    let head_dim = check_head_dim(c, name, given_head_dim, heads, d_model)?;
    let default_norms = if cross_attention { 3 } else { 2 };
    let norms_per_layer = c.optional(
        &path("norms_per_layer"),
        s.norms_per_layer,
        default_norms,
        0,
        8,
    );
    let mtp_modules = c.optional(&path("mtp_modules"), s.mtp_modules, 0, 0, MAX_LAYERS);
    let moe = match (&s.moe, layers, ffn) {
        (Some(m), Some(layers), Some(ffn)) => Some(check_moe(c, name, m, layers, ffn)?),
        (Some(_), _, _) => return None,
        (None, _, _) => None,
    };
    let window = match (&s.window, layers) {
        (Some(w), Some(layers)) => Some(check_window(c, name, w, layers)?),
        (Some(_), None) => return None,
        (None, _) => None,
    };
    Some(Stack {
        layers: layers?,
        heads: heads?,
        kv_heads: kv_heads?,
        head_dim: head_dim?,
        ffn: ffn?,
        mlp: mlp?,
        norms_per_layer: norms_per_layer?,
        cross_attention,
        qkv_bias: s.qkv_bias.unwrap_or(false),
        qk_norm: s.qk_norm,
        attention_sinks: s.attention_sinks.unwrap_or(false),
        mtp_modules: mtp_modules?,
        moe,
        mla,
        window,
    })
}

/// `[<stack>.mla]`: every width from 1 up; key/value heads, when given, as many as the query heads
/// (MLA up-projects a key and a value per head), and no `head_dim` other than qk_nope + qk_rope.
fn check_mla(c: &mut Checker, stack: &str, m: &MlaSpec, s: &StackSpec) -> Option<Mla> {
    let path = |field: &str| format!("{stack}.mla.{field}");
    let q_lora_rank = match m.q_lora_rank {
        Some(r) => Some(c.in_range(&path("q_lora_rank"), r, 1, MAX_DIM)?),
        None => None,
    };
    let mla = Mla {
        q_lora_rank,
        kv_lora_rank: c.size(&path("kv_lora_rank"), m.kv_lora_rank, MAX_DIM)?,
        qk_nope_head_dim: c.size(&path("qk_nope_head_dim"), m.qk_nope_head_dim, MAX_DIM)?,
        qk_rope_head_dim: c.size(&path("qk_rope_head_dim"), m.qk_rope_head_dim, MAX_DIM)?,
        v_head_dim: c.size(&path("v_head_dim"), m.v_head_dim, MAX_DIM)?,
    };
    let qk = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
    if let Some(hd) = s.head_dim.filter(|&hd| hd != qk) {
        c.invalid(
            &format!("{stack}.head_dim"),
            format!(
                "{stack}.head_dim = {hd} differs from {} + {} = {qk}: with MLA leave head_dim out",
                path("qk_nope_head_dim"),
                path("qk_rope_head_dim")
            ),
        );
        return None;
    }
    if let (Some(kv), Some(heads)) = (s.kv_heads, s.heads)
        && kv != heads
    {
        c.invalid(
            &format!("{stack}.kv_heads"),
            format!("{stack}.kv_heads = {kv} must equal {stack}.heads = {heads} with MLA, which up-projects a key and a value per head"),
        );
        return None;
    }
    Some(mla)
}

/// `[<stack>.window]`: sliding unless told, a size of at least one token, and a global layer every 2
/// to `layers` layers.
fn check_window(c: &mut Checker, stack: &str, w: &WindowSpec, layers: u64) -> Option<Window> {
    let path = |field: &str| format!("{stack}.window.{field}");
    let size = c.size(&path("size"), w.size, MAX_CONTEXT)?;
    let global_every = match w.global_every {
        Some(k) => Some(c.in_range(&path("global_every"), k, 2, layers.max(2))?),
        None => None,
    };
    Some(Window {
        kind: w.kind.unwrap_or_default(),
        size,
        global_every,
    })
}

/// Key/value heads of a stack: as many as the query heads unless given (multi-head attention), and
/// then a divisor of them, each serving a whole group of query heads (grouped-query attention,
/// Ainslie et al. 2023, §2). `None` (outer) stops the stack's check; `Some(None)` is a value that
/// cannot be known yet because another field is missing.
fn check_kv_heads(
    c: &mut Checker,
    name: &str,
    kv_heads: Option<u64>,
    heads: Option<u64>,
) -> Option<Option<u64>> {
    let path = |field: &str| format!("{name}.{field}");
    match (kv_heads, heads) {
        (Some(kv), Some(heads)) => {
            let kv = c.in_range(&path("kv_heads"), kv, 1, heads)?;
            if heads % kv != 0 {
                c.invalid(
                    &path("kv_heads"),
                    format!(
                        "{} = {kv} does not divide {} = {heads}: each key/value head serves a whole group of query heads",
                        path("kv_heads"),
                        path("heads")
                    ),
                );
                return None;
            }
            Some(Some(kv))
        }
        (None, heads) => Some(heads),
        (Some(_), None) => Some(None),
    }
}

/// Width of one attention head: given, or d_model / heads (Vaswani et al. 2017, §3.2.2), which must
/// then divide evenly. Outer `None` stops the stack's check, as in [`check_kv_heads`].
fn check_head_dim(
    c: &mut Checker,
    name: &str,
    head_dim: Option<u64>,
    heads: Option<u64>,
    d_model: Option<u64>,
) -> Option<Option<u64>> {
    let path = |field: &str| format!("{name}.{field}");
    match (head_dim, heads, d_model) {
        (Some(hd), _, _) => Some(c.in_range(&path("head_dim"), hd, 1, MAX_DIM)),
        (None, Some(heads), Some(d)) => {
            if d % heads != 0 {
                c.invalid(
                    &path("heads"),
                    format!(
                        "{} = {heads} does not divide architecture.d_model = {d}: give {} explicitly if the heads are not d_model / heads wide",
                        path("heads"),
                        path("head_dim")
                    ),
                );
                return None;
            }
            Some(Some(d / heads))
        }
        _ => Some(None),
    }
}

fn check_moe(c: &mut Checker, stack: &str, m: &MoeSpec, layers: u64, ffn: u64) -> Option<Moe> {
    let path = |field: &str| format!("{stack}.moe.{field}");
    let experts = c.size(&path("experts"), m.experts, MAX_EXPERTS);
    let top_k = c.size(&path("top_k"), m.top_k, MAX_EXPERTS);
    if let (Some(experts), Some(top_k)) = (experts, top_k)
        && top_k > experts
    {
        c.invalid(
            &path("top_k"),
            format!(
                "{} = {top_k} is more than {} = {experts}: a token cannot be routed to more experts than exist",
                path("top_k"),
                path("experts")
            ),
        );
        return None;
    }
    let shared_experts = c.optional(&path("shared_experts"), m.shared_experts, 0, 0, MAX_EXPERTS);
    let expert_ffn = c.optional(&path("expert_ffn"), m.expert_ffn, ffn, 1, MAX_DIM);
    let every = c.optional(&path("every"), m.every, 1, 1, layers);
    let first_dense = c.optional(&path("first_dense"), m.first_dense, 0, 0, layers - 1);
    let moe = Moe {
        experts: experts?,
        top_k: top_k?,
        shared_experts: shared_experts?,
        expert_ffn: expert_ffn?,
        every: every?,
        first_dense: first_dense?,
        router_bias: m.router_bias.unwrap_or(false),
        shared_gate: m.shared_gate.unwrap_or(false),
    };
    if moe.moe_layers(layers) == 0 {
        c.invalid(
            &path("every"),
            format!(
                "with {} = {} and {} = {} none of the {layers} layers is a MoE layer",
                path("every"),
                moe.every,
                path("first_dense"),
                moe.first_dense
            ),
        );
        return None;
    }
    Some(moe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moe(every: u64, first_dense: u64) -> Moe {
        Moe {
            experts: 8,
            top_k: 2,
            shared_experts: 0,
            expert_ffn: 1,
            every,
            first_dense,
            router_bias: false,
            shared_gate: false,
        }
    }

    fn window(kind: WindowKind, size: u64) -> Option<Window> {
        Some(Window {
            kind,
            size,
            global_every: None,
        })
    }

    #[test]
    fn a_decoding_token_reads_its_window_or_its_chunk() {
        // Chunks of 4: positions 1..=4 read 1..=4, position 5 starts a chunk and reads 1, 8 reads 4.
        let chunks = window(WindowKind::Chunked, 4).unwrap();
        let read: Vec<u64> = (0..=9).map(|n| chunks.read_tokens(n)).collect();
        assert_eq!(read, [0, 1, 2, 3, 4, 1, 2, 3, 4, 1]);
        // A sliding window of 4 reads the last 4 once past them.
        let sliding = window(WindowKind::Sliding, 4).unwrap();
        assert_eq!([3, 4, 9].map(|n| sliding.read_tokens(n)), [3, 4, 4]);
    }

    #[test]
    fn chunked_queries_see_their_own_chunk() {
        let chunks = window(WindowKind::Chunked, 4);
        // 10 tokens in chunks of 4: 4, 4 and 2. Causal: the i-th query of a chunk sees i keys,
        // (1+2+3+4) + (1+2+3+4) + (1+2) = 23 keys over 10 queries.
        assert!((mean_keys(10.0, chunks, true) - 2.3).abs() < 1e-12);
        // Without a mask every query sees its whole chunk: 4·4 + 4·4 + 2·2 = 36 over 10.
        assert!((mean_keys(10.0, chunks, false) - 3.6).abs() < 1e-12);
        // Shorter than a chunk: 1 + 2 + 3 over 3 queries; unmasked, all 3.
        assert_eq!(mean_keys(3.0, chunks, true), 2.0);
        assert_eq!(mean_keys(3.0, chunks, false), 3.0);
        // Whole chunks of 8,192: (8,192 + 1)/2 keys, where a window of 8,192 over 131,072 tokens
        // averages 8,192 − 8,192²/(2·131,072) = 7,936.
        let c = 8192;
        assert_eq!(
            mean_keys(131_072.0, window(WindowKind::Chunked, c), true),
            4096.5
        );
        assert_eq!(
            mean_keys(131_072.0, window(WindowKind::Sliding, c), true),
            7936.0
        );
        assert_eq!(mean_keys(0.0, chunks, true), 0.0);
    }

    #[test]
    fn chunks_and_windows_cache_at_most_their_size() {
        for kind in [WindowKind::Sliding, WindowKind::Chunked] {
            let w = window(kind, 4).unwrap();
            assert_eq!((w.cached_tokens(3), w.cached_tokens(10)), (3, 4));
        }
    }

    #[test]
    fn moe_layer_patterns() {
        // Every layer.
        assert_eq!(moe(1, 0).moe_layers(32), 32);
        // Switch Transformer: every other layer, the odd ones (Fedus et al. 2021).
        let switch = moe(2, 0);
        assert!(!switch.is_moe_layer(0) && switch.is_moe_layer(1) && !switch.is_moe_layer(2));
        assert_eq!(switch.moe_layers(24), 12);
        // DeepSeek style: the first layer dense, the rest MoE.
        let deepseek = moe(1, 1);
        assert!(!deepseek.is_moe_layer(0) && deepseek.is_moe_layer(1));
        assert_eq!(deepseek.moe_layers(28), 27);
        // Every third layer after one dense layer: layers 3, 6, 9 of 0..10.
        assert_eq!(moe(3, 1).moe_layers(10), 3);
    }
}
