//! The BERT encoder under the sentiment model, arranged for CPU throughput.
//!
//! Numerically it is `candle_transformers::models::bert::BertModel` (post-LayerNorm, absolute
//! positions, token type 0) and it loads the same tensor names, but it runs on *packed*
//! sequences: the tokens of a batch end to end, no padding. Every layer but attention works
//! token by token, so padding only ever cost work; attention runs per sequence over its own
//! tokens, which also makes a padding mask unnecessary.
//!
//! Where the time goes (perf, 6 x 384 model, 40-character reviews, int8 on a Zen 3): the dense
//! products are ~55-60 % ([`super::matmul`]). With candle tensor ops for the rest, another ~25 %
//! went to glue: fresh zeroed outputs for every product, permutes and copies for attention, a
//! broadcast mask add, libm `expf` in softmax, a separate bias + residual pass before each
//! LayerNorm. Here each of those is one pass over a reused [`Workspace`]: bias + residual +
//! LayerNorm fused, bias + GELU fused (polynomial erf), attention with a polynomial exp, all
//! compiled for AVX2 / AVX-512 where the CPU has them.

use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config as BertConfig, HiddenAct};

use super::matmul::{PackedWeight, Precision};

pub struct Encoder {
    word_embeddings: Vec<f32>,
    /// Position embeddings plus the token-type-0 embedding, which every input uses.
    position_and_type: Vec<f32>,
    positions: usize,
    vocab: usize,
    embeddings_norm: Norm,
    layers: Vec<EncoderLayer>,
    heads: usize,
    hidden: usize,
    intermediate: usize,
    act: HiddenAct,
}

struct EncoderLayer {
    /// Query, key and value projections as one `[hidden, 3 * hidden]` product, with the
    /// attention scale folded into the query columns.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// A linear layer as a pre-packed `[in, out]` weight (`x @ w` is a plain row-major product).
struct Dense {
    weight: PackedWeight,
    bias: Vec<f32>,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

/// Scratch buffers for one batch, kept between batches so that a forward pass allocates
/// (and zeroes) nothing once they have grown to the largest batch.
#[derive(Default)]
pub struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    context: Vec<f32>,
    product: Vec<f32>,
    inner: Vec<f32>,
    attention: AttentionScratch,
}

/// `v[..len]`, grown (never shrunk) to fit. Callers overwrite what they read.
fn scratch(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if v.len() < len {
        v.resize(len, 0.0);
    }
    &mut v[..len]
}

impl Dense {
    fn load(
        vb: &VarBuilder,
        in_dim: usize,
        out_dim: usize,
        precision: Precision,
    ) -> candle_core::Result<Self> {
        Ok(Dense {
            weight: PackedWeight::new(vb.get((out_dim, in_dim), "weight")?, precision)?,
            bias: vb.get(out_dim, "bias")?.to_vec1()?,
        })
    }
}

impl Norm {
    fn load(vb: &VarBuilder, dim: usize, eps: f64) -> candle_core::Result<Self> {
        Ok(Norm {
            weight: vb.get(dim, "weight")?.to_vec1()?,
            bias: vb.get(dim, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }
}

impl Encoder {
    pub fn load(
        vb: &VarBuilder,
        cfg: &BertConfig,
        precision: Precision,
    ) -> candle_core::Result<Self> {
        let (h, heads) = (cfg.hidden_size, cfg.num_attention_heads);
        if heads == 0 || h % heads != 0 {
            candle_core::bail!("hidden size {h} is not a multiple of {heads} attention heads");
        }
        let emb = vb.pp("embeddings");
        let word_embeddings = emb.get((cfg.vocab_size, h), "word_embeddings.weight")?;
        let positions = emb.get(
            (cfg.max_position_embeddings, h),
            "position_embeddings.weight",
        )?;
        let types = emb.get((cfg.type_vocab_size, h), "token_type_embeddings.weight")?;
        let position_and_type = positions.broadcast_add(&types.get(0)?)?;
        let scale = 1.0 / ((h / heads) as f64).sqrt();
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let attn = vb.pp("attention");
                let part = |name: &str| -> candle_core::Result<(Tensor, Tensor)> {
                    let p = attn.pp("self").pp(name);
                    Ok((p.get((h, h), "weight")?, p.get(h, "bias")?))
                };
                let (qw, qb) = part("query")?;
                let (kw, kb) = part("key")?;
                let (vw, vb_) = part("value")?;
                let qkv_w = Tensor::cat(&[(qw * scale)?, kw, vw], 0)?;
                let qkv_b = Tensor::cat(&[(qb * scale)?, kb, vb_], 0)?;
                let eps = cfg.layer_norm_eps;
                Ok(EncoderLayer {
                    qkv: Dense {
                        weight: PackedWeight::new(qkv_w, precision)?,
                        bias: qkv_b.to_vec1()?,
                    },
                    attention_out: Dense::load(&attn.pp("output").pp("dense"), h, h, precision)?,
                    attention_norm: Norm::load(&attn.pp("output").pp("LayerNorm"), h, eps)?,
                    intermediate: Dense::load(
                        &vb.pp("intermediate").pp("dense"),
                        h,
                        cfg.intermediate_size,
                        precision,
                    )?,
                    output: Dense::load(
                        &vb.pp("output").pp("dense"),
                        cfg.intermediate_size,
                        h,
                        precision,
                    )?,
                    output_norm: Norm::load(&vb.pp("output").pp("LayerNorm"), h, eps)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Encoder {
            word_embeddings: word_embeddings.flatten_all()?.to_vec1()?,
            position_and_type: position_and_type.flatten_all()?.to_vec1()?,
            positions: cfg.max_position_embeddings,
            vocab: cfg.vocab_size,
            embeddings_norm: Norm::load(&emb.pp("LayerNorm"), h, cfg.layer_norm_eps)?,
            layers,
            heads,
            hidden: h,
            intermediate: cfg.intermediate_size,
            act: cfg.hidden_act,
        })
    }

    /// The arithmetic of the dense layers: "bf16", "int8" or "f32".
    pub fn precision(&self) -> &'static str {
        self.layers
            .first()
            .map_or("f32", |layer| layer.qkv.weight.precision())
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// The last hidden states of `seqs`, packed: `[sum of lengths, hidden]`, the rows of
    /// `seqs[0]` first. The slice lives in `work` until its next use.
    pub fn forward<'w>(
        &self,
        seqs: &[&[u32]],
        work: &'w mut Workspace,
    ) -> candle_core::Result<&'w [f32]> {
        for s in seqs {
            if s.len() > self.positions {
                candle_core::bail!(
                    "a sequence of {} tokens is longer than the model's {} positions",
                    s.len(),
                    self.positions
                );
            }
            if let Some(&id) = s.iter().find(|&&id| id as usize >= self.vocab) {
                candle_core::bail!("token id {id} is outside the vocabulary of {}", self.vocab);
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = x86::Avx2::detect() {
                if is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has the features the function is compiled for.
                    return unsafe { self.forward_avx512(avx2, seqs, work) };
                }
                // SAFETY: as above.
                return unsafe { self.forward_avx2(avx2, seqs, work) };
            }
        }
        self.forward_body(Portable, seqs, work)
    }

    // The same body compiled three times: the element-wise loops below are written to
    // vectorize, and the vector width is what these attributes choose.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn forward_avx512<'w>(
        &self,
        avx2: x86::Avx2,
        seqs: &[&[u32]],
        work: &'w mut Workspace,
    ) -> candle_core::Result<&'w [f32]> {
        self.forward_body(avx2, seqs, work)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn forward_avx2<'w>(
        &self,
        avx2: x86::Avx2,
        seqs: &[&[u32]],
        work: &'w mut Workspace,
    ) -> candle_core::Result<&'w [f32]> {
        self.forward_body(avx2, seqs, work)
    }

    /// `simd` runs the few loops the compiler does not vectorize well by itself.
    #[inline(always)]
    fn forward_body<'w, S: Simd>(
        &self,
        simd: S,
        seqs: &[&[u32]],
        work: &'w mut Workspace,
    ) -> candle_core::Result<&'w [f32]> {
        let (h, heads) = (self.hidden, self.heads);
        let m: usize = seqs.iter().map(|s| s.len()).sum();
        let x = scratch(&mut work.x, m * h);
        let qkv = scratch(&mut work.qkv, m * 3 * h);
        let context = scratch(&mut work.context, m * h);
        let product = scratch(&mut work.product, m * h);
        let inner = scratch(&mut work.inner, m * self.intermediate);

        let mut rows = x.chunks_exact_mut(h);
        for s in seqs {
            for (pos, (&id, row)) in s.iter().zip(rows.by_ref()).enumerate() {
                let word = &self.word_embeddings[id as usize * h..][..h];
                let position = &self.position_and_type[pos * h..][..h];
                for ((v, a), b) in row.iter_mut().zip(word).zip(position) {
                    *v = a + b;
                }
                layer_norm(row, &self.embeddings_norm);
            }
        }

        for layer in &self.layers {
            layer.qkv.weight.product(x, m, qkv)?;
            for row in qkv.chunks_exact_mut(3 * h) {
                add(row, &layer.qkv.bias);
            }
            let mut start = 0;
            for s in seqs {
                let end = start + s.len();
                let (rows, out) = (
                    &qkv[start * 3 * h..end * 3 * h],
                    &mut context[start * h..end * h],
                );
                attention(simd, rows, h, heads, &mut work.attention, out);
                start = end;
            }
            layer.attention_out.weight.product(context, m, product)?;
            residual_norm(product, &layer.attention_out.bias, x, &layer.attention_norm);
            layer.intermediate.weight.product(x, m, inner)?;
            for row in inner.chunks_exact_mut(self.intermediate) {
                bias_activation(simd, row, &layer.intermediate.bias, self.act);
            }
            layer.output.weight.product(inner, m, product)?;
            residual_norm(product, &layer.output.bias, x, &layer.output_norm);
        }
        Ok(&work.x[..m * h])
    }
}

#[inline(always)]
fn add(x: &mut [f32], bias: &[f32]) {
    for (v, b) in x.iter_mut().zip(bias) {
        *v += b;
    }
}

/// `sum(f(v))` in eight independent lanes, so that the loop vectorizes (a plain `sum()`
/// must add in order and does not).
#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = x.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for chunk in chunks {
        for (s, &v) in lanes.iter_mut().zip(chunk) {
            *s += f(v);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Two passes (mean, then variance around it), as PyTorch's LayerNorm does.
#[inline(always)]
fn layer_norm(row: &mut [f32], norm: &Norm) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |v| v) / n;
    let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n;
    let inv = 1.0 / (var + norm.eps).sqrt();
    for ((v, w), b) in row.iter_mut().zip(&norm.weight).zip(&norm.bias) {
        *v = (*v - mean) * inv * w + b;
    }
}

/// `x = LayerNorm(y + bias + x)` row by row: the sublayer's output joins the residual stream.
#[inline(always)]
fn residual_norm(y: &[f32], bias: &[f32], x: &mut [f32], norm: &Norm) {
    let h = bias.len();
    for (row, out) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
        for ((v, o), b) in row.iter_mut().zip(out).zip(bias) {
            *v += o + b;
        }
        layer_norm(row, norm);
    }
}

/// Per-head scratch for [`attention`], in the layouts its products read.
#[derive(Default)]
struct AttentionScratch {
    /// Keys of all heads, transposed: `[h][n8]`, columns past `n` zero.
    keys: Vec<f32>,
    /// Values of one head: `[n][d8]`, columns past `d` zero.
    values: Vec<f32>,
    /// Scores, then unnormalised probabilities: `[n][n8]`.
    scores: Vec<f32>,
    /// Context rows before normalisation: `[n][d8]`.
    context: Vec<f32>,
    /// Per query, the sum of its unnormalised probabilities.
    sums: Vec<f32>,
}

/// Self-attention of one sequence, all heads: `rows` are its `[n][3 * h]` query, key and
/// value rows, `context` its `[n][h]` output. Queries arrive pre-scaled by
/// `1 / sqrt(head size)`.
///
/// Per head it is two small products, `S = Q K^T` and `C = softmax(S) V`, both run by
/// [`small_product`] on 8-wide column blocks (keys are transposed and values padded to whole
/// blocks first). Written as dot products per query and key, attention took ~30 % of the
/// encoder's time on 40-character reviews for ~4 % of its multiply-adds: every score ended
/// in a horizontal sum and every context row went through memory once per key.
#[inline(always)]
fn attention<S: Simd>(
    simd: S,
    rows: &[f32],
    h: usize,
    heads: usize,
    work: &mut AttentionScratch,
    context: &mut [f32],
) {
    let (n, d) = (rows.len() / (3 * h), h / heads);
    let (n8, d8) = (n.div_ceil(8) * 8, d.div_ceil(8) * 8);
    let keys = scratch(&mut work.keys, h * n8);
    let values = scratch(&mut work.values, n * d8);
    let scores = scratch(&mut work.scores, n * n8);
    let out = scratch(&mut work.context, n * d8);
    let sums = scratch(&mut work.sums, n);
    // All heads' keys, transposed once: head `i`'s K^T is rows `i * d..(i + 1) * d`.
    for (c, dst) in keys.chunks_exact_mut(n8).enumerate() {
        for (k, row) in dst.iter_mut().zip(rows.chunks_exact(3 * h)) {
            *k = row[h + c];
        }
        dst[n..].fill(0.0);
    }
    if d8 > d {
        // Columns past the head size stay zero; the copies below fill the rest.
        values.fill(0.0);
    }
    for head in 0..heads {
        let (q_at, v_at) = (head * d, 2 * h + head * d);
        for (j, row) in rows.chunks_exact(3 * h).enumerate() {
            values[j * d8..j * d8 + d].copy_from_slice(&row[v_at..v_at + d]);
        }
        let keys = &keys[head * d * n8..(head + 1) * d * n8];
        small_product(simd, &rows[q_at..], 3 * h, keys, n8, d, scores, n8, n);
        for (row, sum) in scores.chunks_exact_mut(n8).zip(sums.iter_mut()) {
            let row = &mut row[..n];
            let max = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            for s in row.iter_mut() {
                *s = exp(*s - max);
            }
            *sum = lane_sum(row, |v| v);
        }
        small_product(simd, scores, n8, values, d8, n, out, d8, n);
        for (i, (row, sum)) in out.chunks_exact(d8).zip(sums.iter()).enumerate() {
            let inv = 1.0 / sum;
            let dst = &mut context[i * h + q_at..][..d];
            for (o, v) in dst.iter_mut().zip(row) {
                *o = v * inv;
            }
        }
    }
}

/// `c[i][..] = sum_t a[i * lda + t] * b[t * ldb + ..]` for `m` rows, `k` terms and all
/// `ldc / 8` eight-wide column blocks (`b` and `c` rows hold whole blocks). Blocks of 4 rows
/// x 8 columns keep their sums in registers: each step is one load of `b`, four broadcasts
/// of `a` and four fused multiply-adds.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small_product<S: Simd>(
    simd: S,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    k: usize,
    c: &mut [f32],
    ldc: usize,
    m: usize,
) {
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(4);
        let row = |r: usize| &a[(i + r.min(rows - 1)) * lda..][..k];
        for col in (0..ldc).step_by(8) {
            let b = &b[col..];
            let c = &mut c[i * ldc + col..];
            match rows {
                4 => simd.block([row(0), row(1), row(2), row(3)], b, ldb, c, ldc),
                3 => simd.block([row(0), row(1), row(2)], b, ldb, c, ldc),
                2 => simd.block([row(0), row(1)], b, ldb, c, ldc),
                _ => simd.block([row(0)], b, ldb, c, ldc),
            }
        }
        i += rows;
    }
}

/// The loops that get hand-written vector code where the CPU allows it. A value of an
/// implementing type is the proof that the CPU can run it (see [`x86::Avx2::detect`]).
trait Simd: Copy {
    /// `R` rows of `a` (each `k` long) times `b`'s `k` rows of 8 (stride `ldb`) into `c`.
    fn block<const R: usize>(
        self,
        a: [&[f32]; R],
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
    );
    /// In place: `x = gelu(x + bias)` (erf form).
    fn bias_gelu(self, x: &mut [f32], bias: &[f32]);
}

/// Plain Rust, for any CPU; the compiler vectorizes it as well as it can.
#[derive(Clone, Copy)]
struct Portable;

impl Simd for Portable {
    #[inline(always)]
    fn block<const R: usize>(
        self,
        a: [&[f32]; R],
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        let k = check_block(&a, b, ldb, c, ldc);
        let mut acc = [[0f32; 8]; R];
        for t in 0..k {
            let bv: &[f32; 8] = b[t * ldb..t * ldb + 8].try_into().expect("8 columns");
            for (row, acc) in a.iter().zip(acc.iter_mut()) {
                let av = row[t];
                // Not `mul_add`: without FMA in the target (x86 before Haswell) that is a
                // call to libm's software `fmaf` for every term.
                for (s, &bl) in acc.iter_mut().zip(bv) {
                    *s += av * bl;
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            c[r * ldc..r * ldc + 8].copy_from_slice(acc);
        }
    }

    #[inline(always)]
    fn bias_gelu(self, x: &mut [f32], bias: &[f32]) {
        for (v, b) in x.iter_mut().zip(bias) {
            *v = gelu_erf(*v + b);
        }
    }
}

/// The bounds every [`Simd::block`] relies on, checked once so that its loop needs none.
/// Returns `k`.
#[inline(always)]
fn check_block<const R: usize>(
    a: &[&[f32]; R],
    b: &[f32],
    ldb: usize,
    c: &[f32],
    ldc: usize,
) -> usize {
    let k = a[0].len();
    assert!(a.iter().all(|row| row.len() == k));
    assert!(k == 0 || b.len() >= (k - 1) * ldb + 8);
    assert!(c.len() >= (R - 1) * ldc + 8);
    k
}

/// In place: `x = act(x + bias)`.
#[inline(always)]
fn bias_activation<S: Simd>(simd: S, x: &mut [f32], bias: &[f32], act: HiddenAct) {
    match act {
        HiddenAct::Gelu => simd.bias_gelu(x, bias),
        HiddenAct::GeluApproximate => {
            for (v, b) in x.iter_mut().zip(bias) {
                *v = gelu_tanh(*v + b);
            }
        }
        HiddenAct::Relu => {
            for (v, b) in x.iter_mut().zip(bias) {
                *v = (*v + b).max(0.0);
            }
        }
    }
}

/// Exact (erf) GELU, as PyTorch's default `nn.GELU()` and BERT use.
#[inline(always)]
fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline]
fn gelu_tanh(x: f32) -> f32 {
    const C: f32 = 0.797_884_6; // sqrt(2 / pi)
    0.5 * x * (1.0 + (C * (x + 0.044_715 * x * x * x)).tanh())
}

/// erf's numerator and denominator on [-4, 4], in `x^2`, highest power first (see [`erf`]).
const ERF_P: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_600_5e-3,
    -1.609_603_3e-2,
];
const ERF_Q: [f32; 5] = [
    -1.456_607_2e-5,
    -2.133_740_6e-4,
    -1.682_827e-3,
    -7.373_329_5e-3,
    -1.426_474e-2,
];

/// erf as a rational polynomial on [-4, 4] (Eigen's float erf, also used by XLA); within
/// ~2e-7 of the exact value, and branch-free so the compiler vectorizes it, unlike libm's.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = ERF_P[1..].iter().fold(ERF_P[0], |p, &c| p * x2 + c);
    let q = ERF_Q[1..].iter().fold(ERF_Q[0], |q, &c| q * x2 + c);
    x * p / q
}

/// e^x for the x <= 0 of a softmax (Cephes' expf: 2^n times a degree-5 polynomial on
/// [-ln2/2, ln2/2]); within ~2 ulp, branch-free so it vectorizes. Below -87 it returns
/// e^-87 (~1.6e-38) instead of denormals or 0, which a softmax cannot tell apart.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = super::matmul::round_ties_even_small(x * std::f32::consts::LOG2_E);
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// The two loops that the compiler does not turn into good AVX2 code by itself: the attention
/// blocks (auto-vectorized, their 8 columns were gathered through shuffles and one row ran
/// in scalar; ~9 % of the run time on 40-character reviews) and GELU, whose division
/// (`vdivps`, several times slower than a multiply) becomes a reciprocal estimate refined by
/// one Newton step.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{check_block, Simd, ERF_P, ERF_Q};

    /// Proof that the CPU has AVX2 and FMA: only [`Avx2::detect`] makes one.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2(());

    impl Avx2 {
        pub(super) fn detect() -> Option<Self> {
            (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
                .then_some(Avx2(()))
        }
    }

    impl Simd for Avx2 {
        #[inline(always)]
        fn block<const R: usize>(
            self,
            a: [&[f32]; R],
            b: &[f32],
            ldb: usize,
            c: &mut [f32],
            ldc: usize,
        ) {
            check_block(&a, b, ldb, c, ldc);
            // SAFETY: `self` exists, so the CPU has the features; the bounds are checked.
            unsafe { block(a, b, ldb, c, ldc) }
        }

        #[inline(always)]
        fn bias_gelu(self, x: &mut [f32], bias: &[f32]) {
            // SAFETY: as above; `bias_gelu` checks its own lengths.
            unsafe { bias_gelu(x, bias) }
        }
    }

    /// [`Simd::block`] with the sums in `R` registers. The caller has checked the bounds.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const R: usize>(
        a: [&[f32]; R],
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        let k = a[0].len();
        let mut acc = [_mm256_setzero_ps(); R];
        for t in 0..k {
            let bv = _mm256_loadu_ps(b.as_ptr().add(t * ldb));
            for (row, acc) in a.iter().zip(acc.iter_mut()) {
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(*row.get_unchecked(t)), bv, *acc);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            _mm256_storeu_ps(c.as_mut_ptr().add(r * ldc), *acc);
        }
    }

    /// `x = gelu(x + bias)` with [`super::erf`]'s polynomial; `p / q` is `p * (1 / q)`, the
    /// reciprocal from `vrcpps` (12 bits) and one Newton step (~22 bits).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn bias_gelu(x: &mut [f32], bias: &[f32]) {
        assert_eq!(x.len(), bias.len());
        let whole = x.len() / 8 * 8;
        let (lo, hi) = (_mm256_set1_ps(-4.0), _mm256_set1_ps(4.0));
        let (half, two) = (_mm256_set1_ps(0.5), _mm256_set1_ps(2.0));
        let scale = _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2);
        for i in (0..whole).step_by(8) {
            let at = x.as_mut_ptr().add(i);
            let v = _mm256_add_ps(_mm256_loadu_ps(at), _mm256_loadu_ps(bias.as_ptr().add(i)));
            let z = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, scale), lo), hi);
            let z2 = _mm256_mul_ps(z, z);
            let mut p = _mm256_set1_ps(ERF_P[0]);
            for &c in &ERF_P[1..] {
                p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(c));
            }
            let mut q = _mm256_set1_ps(ERF_Q[0]);
            for &c in &ERF_Q[1..] {
                q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(c));
            }
            let r = _mm256_rcp_ps(q);
            let r = _mm256_mul_ps(r, _mm256_fnmadd_ps(q, r, two));
            let erf = _mm256_mul_ps(_mm256_mul_ps(z, p), r);
            let hv = _mm256_mul_ps(half, v);
            _mm256_storeu_ps(at, _mm256_fmadd_ps(hv, erf, hv));
        }
        for (v, b) in x[whole..].iter_mut().zip(&bias[whole..]) {
            *v = super::gelu_erf(*v + b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use std::collections::HashMap;

    #[test]
    fn polynomial_erf_matches_libm() {
        let mut worst = 0f64;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let exact = libm_erf(f64::from(x));
            worst = worst.max((f64::from(erf(x)) - exact).abs());
        }
        assert!(worst < 1e-6, "max |erf error| {worst}");
        assert_eq!(gelu_erf(0.0), 0.0);
        assert!((gelu_erf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu_erf(-3.0) + 0.004_049_6).abs() < 1e-6);
    }

    #[test]
    fn polynomial_exp_matches_std_over_the_softmax_range() {
        let mut worst = 0f64;
        for i in -90_000..=1_000 {
            let x = i as f32 / 1000.0;
            let exact = f64::from(x).exp().max(f64::from(-87f32).exp());
            worst = worst.max((f64::from(exp(x)) / exact - 1.0).abs());
        }
        assert!(worst < 5e-7, "max relative |exp error| {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f32::NEG_INFINITY) > 0.0 && exp(f32::NEG_INFINITY) < 1e-37);
    }

    /// erf by its Maclaurin series (|x| <= 2) or asymptotic continued fraction, in f64.
    fn libm_erf(x: f64) -> f64 {
        let a = x.abs();
        let v = if a <= 2.5 {
            let (mut term, mut sum, mut n) = (a, a, 0.0);
            while term.abs() > 1e-17 {
                n += 1.0;
                term *= -a * a / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc continued fraction, evaluated bottom-up.
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = (k as f64 / 2.0) / (a + f);
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / (a + f)
        };
        v.copysign(x)
    }

    /// A random BERT of `h` hidden units (`heads` heads) under the names the encoder loads.
    fn random_bert(act: HiddenAct, h: usize, heads: usize) -> (BertConfig, VarBuilder<'static>) {
        let (inter, layers) = (2 * h, 2);
        let cfg = BertConfig {
            vocab_size: 40,
            hidden_size: h,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            intermediate_size: inter,
            hidden_act: act,
            max_position_embeddings: 16,
            pad_token_id: 1,
            ..BertConfig::default()
        };
        let dev = Device::Cpu;
        let mut t: HashMap<String, Tensor> = HashMap::new();
        // Seeded normal draws (xorshift + Box-Muller): `Tensor::randn` draws from an unseeded
        // generator, and one draw in a few hundred made activations large enough for the
        // polynomial erf / exp to drift past the tolerance (a flaky failure).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ (h as u64 * 31 + heads as u64);
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut put = |name: &str, shape: &[usize], std: f32| {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n)
                .map(|_| {
                    let (u, v) = (uniform(), uniform());
                    let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
                    z as f32 * std
                })
                .collect();
            t.insert(
                name.to_owned(),
                Tensor::from_vec(values, shape, &dev).unwrap(),
            );
        };
        put("embeddings.word_embeddings.weight", &[40, h], 1.0);
        put("embeddings.position_embeddings.weight", &[16, h], 0.3);
        put("embeddings.token_type_embeddings.weight", &[2, h], 0.3);
        put("embeddings.LayerNorm.weight", &[h], 1.0);
        put("embeddings.LayerNorm.bias", &[h], 0.1);
        for i in 0..layers {
            let p = format!("encoder.layer.{i}.");
            for (name, o, n) in [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("intermediate.dense", inter, h),
                ("output.dense", h, inter),
            ] {
                put(&format!("{p}{name}.weight"), &[o, n], 0.4);
                put(&format!("{p}{name}.bias"), &[o], 0.1);
            }
            for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
                put(&format!("{p}{ln}.weight"), &[h], 1.0);
                put(&format!("{p}{ln}.bias"), &[h], 0.1);
            }
        }
        (cfg, VarBuilder::from_tensors(t, DType::F32, &dev))
    }

    /// The packed encoder must compute, for every real token, what candle's reference
    /// BertModel computes on the padded batch with its attention mask, for every activation
    /// the config can name and for head sizes that are and are not a multiple of 8 (4, 16,
    /// 32).
    #[test]
    fn encoder_matches_candle_bert() {
        use candle_transformers::models::bert::BertModel;
        let dev = Device::Cpu;
        for act in [HiddenAct::Gelu, HiddenAct::GeluApproximate, HiddenAct::Relu] {
            for (h, heads) in [(16, 4), (48, 3), (64, 2)] {
                let (cfg, vb) = random_bert(act, h, heads);
                let reference = BertModel::load(vb.clone(), &cfg).unwrap();
                let ours = Encoder::load(&vb, &cfg, Precision::F32).unwrap();
                // 11 tokens: two 8-wide key blocks, the second ragged.
                let seqs: [&[u32]; 3] = [
                    &[0, 7, 12, 33, 5, 8, 8, 21, 30, 4, 2],
                    &[0, 9, 2],
                    &[0, 39, 3, 2],
                ];
                let len = 11;
                let (mut ids, mut mask) = (Vec::new(), Vec::new());
                for s in seqs {
                    ids.extend(s.iter().copied().chain(std::iter::repeat(1)).take(len));
                    mask.extend((0..len).map(|i| u32::from(i < s.len())));
                }
                let ids = Tensor::from_vec(ids, (3, len), &dev).unwrap();
                let mask = Tensor::from_vec(mask, (3, len), &dev).unwrap();
                let want = reference
                    .forward(&ids, &ids.zeros_like().unwrap(), Some(&mask))
                    .unwrap();
                let mut work = Workspace::default();
                let got = ours.forward(&seqs, &mut work).unwrap();
                assert_eq!(got.len(), 18 * h);
                let mut rows = got.chunks_exact(h);
                let mut worst = 0f32;
                for (b, s) in seqs.iter().enumerate() {
                    for t in 0..s.len() {
                        let want: Vec<f32> =
                            want.get(b).unwrap().get(t).unwrap().to_vec1().unwrap();
                        for (w, g) in want.iter().zip(rows.next().unwrap()) {
                            worst = worst.max((w - g).abs());
                        }
                    }
                }
                assert!(worst < 1e-4, "{act:?} h {h}: max |diff| {worst}");
            }
        }
    }

    /// A workspace that grew for a long batch gives the same states to a short one as a
    /// fresh workspace does: nothing stale is read.
    #[test]
    fn reused_workspace_gives_the_same_states() {
        let (cfg, vb) = random_bert(HiddenAct::Gelu, 16, 4);
        let enc = Encoder::load(&vb, &cfg, Precision::Fast).unwrap();
        let long: [&[u32]; 2] = [&[0, 5, 6, 7, 8, 9, 10, 11, 2], &[0, 3, 3, 3, 2]];
        let short: [&[u32]; 1] = [&[0, 20, 21, 2]];
        let mut fresh = Workspace::default();
        let want = enc.forward(&short, &mut fresh).unwrap().to_vec();
        let mut used = Workspace::default();
        enc.forward(&long, &mut used).unwrap();
        assert_eq!(enc.forward(&short, &mut used).unwrap(), &want[..]);
    }

    /// The portable body is what CPUs without AVX2 run; it is checked here against the body
    /// `forward` picks on this machine (which `encoder_matches_candle_bert` checks).
    #[test]
    fn portable_body_matches_the_dispatched_one() {
        for act in [HiddenAct::Gelu, HiddenAct::Relu] {
            for (h, heads) in [(16, 4), (64, 2)] {
                let (cfg, vb) = random_bert(act, h, heads);
                let enc = Encoder::load(&vb, &cfg, Precision::F32).unwrap();
                let seqs: [&[u32]; 2] = [&[0, 7, 12, 33, 5, 8, 8, 21, 30, 4, 2], &[0, 9, 2]];
                let want = enc
                    .forward(&seqs, &mut Workspace::default())
                    .unwrap()
                    .to_vec();
                let mut work = Workspace::default();
                let got = enc.forward_body(Portable, &seqs, &mut work).unwrap();
                let worst = want
                    .iter()
                    .zip(got)
                    .fold(0f32, |m, (w, g)| m.max((w - g).abs()));
                // Rounding only (FMA or not, a reciprocal estimate in GELU): the bound of the
                // candle test.
                assert!(worst < 1e-4, "{act:?} h {h}: max |diff| {worst}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_gelu_matches_the_scalar_one() {
        let Some(avx2) = x86::Avx2::detect() else {
            return;
        };
        // 8-wide blocks plus a ragged tail of 5, across and beyond erf's [-4, 4] clamp.
        let x: Vec<f32> = (0..85).map(|i| (i as f32 - 42.0) * 0.15).collect();
        let bias: Vec<f32> = (0..85).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect();
        let mut got = x.clone();
        avx2.bias_gelu(&mut got, &bias);
        for ((&v, &b), &g) in x.iter().zip(&bias).zip(&got) {
            let want = gelu_erf(v + b);
            assert!(
                (want - g).abs() <= 1e-6 * (1.0 + want.abs()),
                "{v}: {want} vs {g}"
            );
        }
    }

    #[test]
    fn out_of_range_inputs_are_refused() {
        let (cfg, vb) = random_bert(HiddenAct::Gelu, 16, 4);
        let enc = Encoder::load(&vb, &cfg, Precision::F32).unwrap();
        let mut work = Workspace::default();
        let too_long = vec![3u32; 17];
        let err = enc.forward(&[&too_long], &mut work).unwrap_err();
        assert!(err.to_string().contains("16 positions"), "{err}");
        let err = enc.forward(&[&[0, 40, 2]], &mut work).unwrap_err();
        assert!(err.to_string().contains("token id 40"), "{err}");
    }
}
