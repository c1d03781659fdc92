//! Requests of different lengths: a workload is a distribution of (prompt, output) lengths, each
//! with a weight, and the steady state of continuous batching needs only a few of its moments.
//!
//! With C sequences decoding, each gaining one token a round, a request of output length O holds
//! its slot O rounds. In steady state the requests entering per round equal those leaving, n, and a
//! slot is held by requests of each kind in proportion to their weight times their output length
//! (Little's law per kind, L_k = λ_k·O_k, Little 1961): C = n·E[O], so n = C/E[O] requests enter a
//! round, with C·E[P]/E[O] prompt tokens of chunked prefill (Agrawal et al. 2024, Sarathi-Serve).
//!
//! The KV cache a slot holds, averaged over time: a request of prompt P at its k-th output token
//! (k = 1 … O) holds P + k tokens, P + (O + 1)/2 on average over its O rounds; weighting each kind
//! by the rounds it is present, O, gives E[O·(P + (O + 1)/2)] / E[O] — a long request occupies a
//! slot longer, so it counts more than in the plain mean. Paged KV caches allocate blocks as
//! tokens are written (Kwon et al. 2023, vLLM, §4.2), so this is the cache the decode steps read.
//! The pool's admission reserves each sequence's whole context, P + O, held for O rounds likewise:
//! E[O·(P + O)] / E[O] a slot. The prefill attention of a prompt token sees on average P/2 earlier
//! tokens, weighted by the prompt's tokens: E[P²] / (2·E[P]).

use serde::Serialize;

/// One kind of request: its prompt and output tokens and its share of the requests.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Lengths {
    pub prompt: u64,
    pub output: u64,
    pub weight: f64,
}

/// A distribution of request lengths, the weights summing to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    rows: Vec<Lengths>,
}

/// Mean, median and 90th percentile of a length.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
}

/// What a report says of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WorkloadSummary {
    pub rows: usize,
    pub prompt_tokens: Spread,
    pub output_tokens: Spread,
    /// Tokens of KV cache a decoding slot holds on average, E[O·(P + (O + 1)/2)] / E[O].
    pub held_tokens_per_sequence: f64,
    /// Tokens a slot reserves on admission, E[O·(P + O)] / E[O].
    pub reserved_tokens_per_sequence: f64,
}

impl Workload {
    /// Every request of `prompt` and `output` tokens.
    pub fn fixed(prompt: u64, output: u64) -> Workload {
        Workload::new(vec![Lengths {
            prompt,
            output,
            weight: 1.0,
        }])
    }

    /// `rows`, each of a weight above 0, their weights scaled to sum to 1; `rows` must not be empty.
    pub fn new(rows: Vec<Lengths>) -> Workload {
        let total: f64 = rows.iter().map(|r| r.weight).sum();
        let rows = rows
            .into_iter()
            .map(|r| Lengths {
                weight: r.weight / total,
                ..r
            })
            .collect();
        Workload { rows }
    }

    /// E[f] over the requests.
    fn expect(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.rows
            .iter()
            .map(|r| r.weight * f(r.prompt as f64, r.output as f64))
            .sum()
    }

    pub fn mean_prompt(&self) -> f64 {
        self.expect(|p, _| p)
    }

    /// E[O], at least 1 token.
    pub fn mean_output(&self) -> f64 {
        self.expect(|_, o| o).max(1.0)
    }

    /// E[O·(P + (O + 1)/2)] / E[O]: the KV tokens a decoding slot holds, averaged over time.
    pub fn held_context(&self) -> f64 {
        self.expect(|p, o| o * (p + (o + 1.0) / 2.0)) / self.mean_output()
    }

    /// E[O·(P + O)] / E[O]: the tokens a slot reserves for the whole context of its request.
    pub fn reserved_context(&self) -> f64 {
        self.expect(|p, o| o * (p + o)) / self.mean_output()
    }

    /// E[P²] / (2·E[P]): the earlier tokens a prompt token attends to, on average over prompt tokens.
    pub fn prompt_context(&self) -> f64 {
        self.expect(|p, _| p * p) / (2.0 * self.mean_prompt().max(1.0))
    }

    /// E[g(P)] for a function of the prompt alone.
    pub fn over_prompts(&self, g: impl Fn(f64) -> f64) -> f64 {
        self.expect(|p, _| g(p))
    }

    /// The longest context a request reaches, P + O, and its row (0-based).
    pub fn longest(&self) -> (u64, usize) {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.prompt + r.output, i))
            .max_by_key(|&(c, i)| (c, std::cmp::Reverse(i)))
            .unwrap_or((0, 0))
    }

    /// The smallest length whose cumulative weight reaches `q` (the weighted quantile).
    fn quantile(&self, length: impl Fn(&Lengths) -> u64, q: f64) -> u64 {
        let mut sorted: Vec<(u64, f64)> = self.rows.iter().map(|r| (length(r), r.weight)).collect();
        sorted.sort_by_key(|s| s.0);
        let mut seen = 0.0;
        for (value, weight) in &sorted {
            seen += weight;
            // Weights are scaled to sum to 1; the tolerance keeps rounding from skipping a value.
            if seen >= q - 1e-9 {
                return *value;
            }
        }
        sorted.last().map_or(0, |s| s.0)
    }

    /// The 90th percentile of the prompt length.
    pub fn prompt_p90(&self) -> u64 {
        self.quantile(|r| r.prompt, 0.9)
    }

    pub fn summary(&self) -> WorkloadSummary {
        let spread = |length: fn(&Lengths) -> u64, mean: f64| Spread {
            mean,
            p50: self.quantile(length, 0.5),
            p90: self.quantile(length, 0.9),
        };
        WorkloadSummary {
            rows: self.rows.len(),
            prompt_tokens: spread(|r| r.prompt, self.mean_prompt()),
            output_tokens: spread(|r| r.output, self.expect(|_, o| o)),
            held_tokens_per_sequence: self.held_context(),
            reserved_tokens_per_sequence: self.reserved_context(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Workload {
        // Three short chats (P 100, O 100) for one long summary (P 3000, O 900).
        Workload::new(vec![
            Lengths {
                prompt: 100,
                output: 100,
                weight: 3.0,
            },
            Lengths {
                prompt: 3000,
                output: 900,
                weight: 1.0,
            },
        ])
    }

    #[test]
    fn one_kind_gives_its_own_lengths() {
        let w = Workload::fixed(1000, 500);
        assert_eq!((w.mean_prompt(), w.mean_output()), (1000.0, 500.0));
        // P + (O + 1)/2 and P + O.
        assert_eq!(w.held_context(), 1250.5);
        assert_eq!(w.reserved_context(), 1500.0);
        assert_eq!(w.prompt_context(), 500.0);
        assert_eq!(w.prompt_p90(), 1000);
    }

    #[test]
    fn two_kinds_by_hand() {
        let w = two();
        // E[P] = 0.75·100 + 0.25·3000 = 825; E[O] = 75 + 225 = 300.
        assert_eq!(w.mean_prompt(), 825.0);
        assert_eq!(w.mean_output(), 300.0);
        // E[O(P + (O+1)/2)] = 0.75·100·150.5 + 0.25·900·3450.5 = 11287.5 + 776362.5 = 787650; / 300.
        assert!((w.held_context() - 2625.5).abs() < 1e-9);
        // E[O(P + O)] = 0.75·100·200 + 0.25·900·3900 = 15000 + 877500 = 892500; / 300 = 2975.
        assert!((w.reserved_context() - 2975.0).abs() < 1e-9);
        // E[P²] = 0.75·10⁴ + 0.25·9·10⁶ = 2257500; / (2·825) = 1368.18…
        assert!((w.prompt_context() - 2_257_500.0 / 1650.0).abs() < 1e-9);
        let s = w.summary();
        assert_eq!((s.prompt_tokens.p50, s.prompt_tokens.p90), (100, 3000));
        assert_eq!((s.output_tokens.p50, s.output_tokens.p90), (100, 900));
        assert_eq!(w.longest(), (3900, 1));
    }
}
