//! Products of activations with fixed weight matrices, for the encoder's dense layers.
//!
//! Profiling the f32 encoder showed ~75% of the time in candle's gemm (its AVX2 FMA kernel),
//! so the dense layers are where speed is. CPUs with AVX-512 BF16 (AMD Zen 4+, Intel Cooper
//! Lake / Sapphire Rapids+) have `vdpbf16ps`, which does twice the multiply-adds per
//! instruction of an f32 FMA; [`PackedWeight`] packs a weight once at load time into the
//! layout that instruction wants and runs a register-blocked kernel over it. Inputs are
//! rounded to bf16 per call, products are accumulated in f32. CPUs with only AVX2 (AMD Zen
//! 2/3, most Intel client parts) get the `int8` kernel instead: `vpmaddubsw` multiplies 32
//! byte pairs per instruction, four times an f32 FMA's 8; with the `vpmaddwd` that widens its
//! sums to i32 it measured twice candle's f32 throughput on a Zen 3 core. Elsewhere (or when
//! asked for [`Precision::F32`]) the weight stays an f32 candle tensor.

use candle_core::Tensor;

/// `w` (`[rows, cols]`, row-major) transposed.
pub fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(w.len(), rows * cols, "matrix shape");
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| w[r * cols + c]))
        .collect()
}

/// `x.round_ties_even()` for `|x| < 2^22`. Baseline x86-64 has no rounding instruction, so
/// `round_ties_even` outside an AVX function is a libm call per value; adding and removing
/// 1.5 * 2^23 rounds in the FPU's default mode, which is to nearest even.
#[inline(always)]
pub(crate) fn round_ties_even_small(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (x + SHIFT) - SHIFT
}

/// Arithmetic used by the dense layers of the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 products (candle's gemm): the reference, matches PyTorch to ~1e-6.
    F32,
    /// bf16 inputs and weights, f32 accumulation, where the CPU has AVX-512 BF16: probabilities
    /// move by ~1e-3, labels almost never. Else, with AVX2 + FMA, 6-bit weights and 7-bit
    /// inputs with i32 accumulation: probabilities move by ~2e-3 (median; up to ~0.1), ~0.4%
    /// of NSMC labels change, accuracy stays within 0.3 points. Falls back to f32 elsewhere.
    Fast,
}

impl Precision {
    /// The fastest precision this CPU runs; `SORI_PRECISION=f32` forces the reference path.
    pub fn from_env() -> Self {
        let value = std::env::var("SORI_PRECISION").unwrap_or_default();
        Self::parse(&value).unwrap_or_else(|| {
            tracing::warn!("SORI_PRECISION={value:?} is not `f32` or `fast`; using `fast`");
            Precision::Fast
        })
    }

    /// `f32` or `fast` (any case); empty means the default. `None` for anything else, so
    /// that a typo is reported instead of silently changing the arithmetic.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "" => Some(Precision::Fast),
            v if v.eq_ignore_ascii_case("f32") => Some(Precision::F32),
            v if v.eq_ignore_ascii_case("fast") => Some(Precision::Fast),
            _ => None,
        }
    }
}

/// A `[k, n]` weight, ready for `x @ w` with `x` of shape `[m, k]`.
pub enum PackedWeight {
    F32(Tensor),
    #[cfg(target_arch = "x86_64")]
    Bf16(bf16::Panels),
    #[cfg(target_arch = "x86_64")]
    Int8(int8::Panels),
}

impl PackedWeight {
    /// `w`: the weight as PyTorch and the model file store it, `[out, in]` = `[n, k]`. The
    /// panels are packed from that layout directly (each output column's weights are one
    /// contiguous row there), so loading makes no transposed copy.
    pub fn new(w: Tensor, precision: Precision) -> candle_core::Result<Self> {
        let (n, k) = w.dims2()?;
        #[cfg(target_arch = "x86_64")]
        if precision == Precision::Fast && (bf16::available() || int8::available()) {
            let values = w.flatten_all()?.to_vec1::<f32>()?;
            return Ok(if bf16::available() {
                PackedWeight::Bf16(bf16::Panels::pack_out_in(&values, k, n))
            } else {
                PackedWeight::Int8(int8::Panels::pack_out_in(&values, k, n))
            });
        }
        let _ = (precision, k, n);
        Ok(PackedWeight::F32(w.t()?.contiguous()?))
    }

    /// The arithmetic of the product: "bf16", "int8" or "f32".
    pub fn precision(&self) -> &'static str {
        match self {
            PackedWeight::F32(_) => "f32",
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Bf16(_) => "bf16",
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Int8(_) => "int8",
        }
    }

    /// `out = x @ w` for `x` of shape `[m, k]` (row-major), `out` of shape `[m, n]`; every
    /// value of `out` is written.
    pub fn product(&self, x: &[f32], m: usize, out: &mut [f32]) -> candle_core::Result<()> {
        let (k, n) = self.dims();
        if x.len() != m * k || out.len() != m * n {
            candle_core::bail!(
                "matmul: [{m}, {k}] @ [{k}, {n}] given {} inputs and {} outputs",
                x.len(),
                out.len()
            );
        }
        match self {
            PackedWeight::F32(w) => {
                let y = Tensor::from_slice(x, (m, k), w.device())?.matmul(w)?;
                out.copy_from_slice(&y.flatten_all()?.to_vec1::<f32>()?);
            }
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Bf16(panels) => panels.matmul(x, m, out),
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Int8(panels) => panels.matmul(x, m, out),
        }
        Ok(())
    }

    /// `(k, n)`: input and output width.
    pub fn dims(&self) -> (usize, usize) {
        match self {
            PackedWeight::F32(w) => {
                let d = w.dims();
                (d[0], d[1])
            }
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Bf16(panels) => (panels.k, panels.n),
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Int8(panels) => (panels.k, panels.n),
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub mod bf16 {
    use std::arch::x86_64::*;

    /// Rows of the input per kernel call and 16-float vectors of output per row: 6 x 4
    /// accumulators + 4 weight vectors + 1 broadcast fit the 32 zmm registers.
    const MR: usize = 6;
    const NV: usize = 4;
    /// Output columns per panel.
    const NR: usize = NV * 16;

    pub fn available() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bf16")
            && is_x86_feature_detected!("avx512vl")
    }

    /// Round to nearest even, as `vcvtneps2bf16` does (NaN is not expected in weights).
    #[inline]
    pub fn to_bf16(x: f32) -> u16 {
        let bits = x.to_bits();
        let rounding = 0x7fff + ((bits >> 16) & 1);
        (bits.wrapping_add(rounding) >> 16) as u16
    }

    /// The weight cut into panels of 64 output columns; within a panel, for each pair of
    /// input rows `(2p, 2p+1)`, 64 interleaved pairs `(w[2p][j], w[2p+1][j])`: exactly the
    /// operand `vdpbf16ps` multiplies with a broadcast input pair.
    pub struct Panels {
        pub k: usize,
        pub n: usize,
        pairs: usize,
        data: Vec<u16>,
    }

    impl Panels {
        /// From a `[k, n]` weight.
        pub fn pack(w: &[f32], k: usize, n: usize) -> Self {
            Self::pack_out_in(&super::transpose(w, k, n), k, n)
        }

        /// From the same weight stored `[n, k]` (PyTorch's `[out, in]`).
        pub fn pack_out_in(w: &[f32], k: usize, n: usize) -> Self {
            assert_eq!(w.len(), k * n, "weight shape");
            let pairs = k.div_ceil(2);
            let panels = n.div_ceil(NR);
            let mut data = vec![0u16; panels * pairs * NR * 2];
            for panel in 0..panels {
                for p in 0..pairs {
                    let base = (panel * pairs + p) * NR * 2;
                    for c in 0..NR {
                        let col = panel * NR + c;
                        if col >= n {
                            continue;
                        }
                        for t in 0..2 {
                            let row = 2 * p + t;
                            if row < k {
                                data[base + 2 * c + t] = to_bf16(w[col * k + row]);
                            }
                        }
                    }
                }
            }
            Panels { k, n, pairs, data }
        }

        /// `out[m, n] = x[m, k] @ w`.
        pub fn matmul(&self, x: &[f32], m: usize, out: &mut [f32]) {
            assert!(available(), "bf16 panels on a CPU without AVX-512 BF16");
            assert_eq!(x.len(), m * self.k, "input shape");
            assert_eq!(out.len(), m * self.n, "output shape");
            // Input rows as bf16 pairs, each pair one u32 to broadcast.
            let mut a = vec![0u32; m * self.pairs];
            for (row, dst) in x.chunks_exact(self.k).zip(a.chunks_exact_mut(self.pairs)) {
                // SAFETY: `available()` was checked above.
                let done = unsafe { convert_pairs(row, dst) };
                for (p, d) in dst.iter_mut().enumerate().skip(done) {
                    let lo = to_bf16(row[2 * p]);
                    let hi = row.get(2 * p + 1).map_or(0, |&v| to_bf16(v));
                    *d = u32::from(lo) | (u32::from(hi) << 16);
                }
            }
            let mut tail = [0f32; MR * NR];
            let panels = self.n.div_ceil(NR);
            for panel in 0..panels {
                let w = &self.data[panel * self.pairs * NR * 2..(panel + 1) * self.pairs * NR * 2];
                let col0 = panel * NR;
                let cols = NR.min(self.n - col0);
                let mut row0 = 0;
                while row0 < m {
                    let rows = MR.min(m - row0);
                    let a_rows = &a[row0 * self.pairs..(row0 + rows) * self.pairs];
                    // Full panels are written straight into `out`; the last, narrower one
                    // goes through a scratch tile.
                    let (dst, ld) = if cols == NR {
                        (&mut out[row0 * self.n + col0..], self.n)
                    } else {
                        (&mut tail[..], NR)
                    };
                    // SAFETY: `available()` was checked above; the kernel reads `rows` rows
                    // of `pairs` from `a_rows`, `pairs * NR * 2` values of `w`, and writes
                    // `rows` rows of NR floats at stride `ld` into `dst`, all in bounds:
                    // for a full panel, row r writes out[(row0+r)*n + col0 .. + NR] with
                    // col0 + NR <= n.
                    unsafe {
                        match rows {
                            6 => kernel::<6>(a_rows, self.pairs, w, dst, ld),
                            5 => kernel::<5>(a_rows, self.pairs, w, dst, ld),
                            4 => kernel::<4>(a_rows, self.pairs, w, dst, ld),
                            3 => kernel::<3>(a_rows, self.pairs, w, dst, ld),
                            2 => kernel::<2>(a_rows, self.pairs, w, dst, ld),
                            _ => kernel::<1>(a_rows, self.pairs, w, dst, ld),
                        }
                    }
                    if cols < NR {
                        for r in 0..rows {
                            out[(row0 + r) * self.n + col0..(row0 + r) * self.n + col0 + cols]
                                .copy_from_slice(&tail[r * NR..r * NR + cols]);
                        }
                    }
                    row0 += rows;
                }
            }
        }
    }

    /// Rounds `row` to bf16 16 values at a time; in memory a pair of consecutive bf16 values
    /// is exactly the u32 the kernel broadcasts. Returns how many pairs it wrote; the caller
    /// finishes the (odd or short) rest.
    #[target_feature(enable = "avx512f,avx512bf16,avx512vl")]
    unsafe fn convert_pairs(row: &[f32], dst: &mut [u32]) -> usize {
        let chunks = (row.len() / 16).min(dst.len() / 8);
        for c in 0..chunks {
            let v = _mm512_loadu_ps(row.as_ptr().add(c * 16));
            let h: __m256i = std::mem::transmute::<__m256bh, __m256i>(_mm512_cvtneps_pbh(v));
            _mm256_storeu_si256(dst.as_mut_ptr().add(c * 8).cast(), h);
        }
        chunks * 8
    }

    /// `R` rows x 64 columns of output over the whole depth.
    #[target_feature(enable = "avx512f,avx512bf16,avx512vl")]
    unsafe fn kernel<const R: usize>(
        a: &[u32],
        pairs: usize,
        w: &[u16],
        out: &mut [f32],
        ld: usize,
    ) {
        debug_assert!(a.len() >= R * pairs && w.len() >= pairs * NR * 2);
        debug_assert!(out.len() >= (R - 1) * ld + NR);
        let mut acc = [[_mm512_setzero_ps(); NV]; R];
        let a = a.as_ptr();
        let mut wp = w.as_ptr();
        for p in 0..pairs {
            let mut wv = [std::mem::transmute::<__m512i, __m512bh>(_mm512_setzero_si512()); NV];
            for (v, slot) in wv.iter_mut().enumerate() {
                *slot = std::mem::transmute::<__m512i, __m512bh>(_mm512_loadu_si512(
                    wp.add(v * 32).cast(),
                ));
            }
            for (r, acc_row) in acc.iter_mut().enumerate() {
                let pair = *a.add(r * pairs + p) as i32;
                let av = std::mem::transmute::<__m512i, __m512bh>(_mm512_set1_epi32(pair));
                for v in 0..NV {
                    acc_row[v] = _mm512_dpbf16_ps(acc_row[v], av, wv[v]);
                }
            }
            wp = wp.add(NR * 2);
        }
        let o = out.as_mut_ptr();
        for (r, acc_row) in acc.iter().enumerate() {
            for (v, value) in acc_row.iter().enumerate() {
                _mm512_storeu_ps(o.add(r * ld + v * 16), *value);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn reference(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
            let round = |v: f32| f32::from_bits(u32::from(to_bf16(v)) << 16);
            let mut out = vec![0f32; m * n];
            for i in 0..m {
                for j in 0..n {
                    out[i * n + j] = (0..k)
                        .map(|t| f64::from(round(x[i * k + t])) * f64::from(round(w[t * n + j])))
                        .sum::<f64>() as f32;
                }
            }
            out
        }

        /// The panel layout, checked value by value against its definition (pairs of rows,
        /// NR columns per panel, zero padding) without needing an AVX-512 CPU.
        #[test]
        fn panels_hold_each_weight_where_the_kernel_reads_it() {
            let (k, n) = (5, 2 * NR + 3);
            let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.37).sin()).collect();
            let p = Panels::pack_out_in(&crate::analyze::matmul::transpose(&w, k, n), k, n);
            assert_eq!(p.data.len(), n.div_ceil(NR) * k.div_ceil(2) * NR * 2);
            for panel in 0..n.div_ceil(NR) {
                for pair in 0..k.div_ceil(2) {
                    for c in 0..NR {
                        for t in 0..2 {
                            let (row, col) = (2 * pair + t, panel * NR + c);
                            let want = if row < k && col < n {
                                to_bf16(w[row * n + col])
                            } else {
                                0
                            };
                            let at = (panel * p.pairs + pair) * NR * 2 + 2 * c + t;
                            assert_eq!(p.data[at], want, "row {row} col {col}");
                        }
                    }
                }
            }
        }

        #[test]
        fn rounding_is_nearest_even() {
            assert_eq!(to_bf16(1.0), 0x3f80);
            // 1 + 2^-8 lies halfway between two bf16 values: ties go to the even one (1.0).
            assert_eq!(to_bf16(1.0 + 1.0 / 256.0), 0x3f80);
            assert_eq!(to_bf16(1.0 + 3.0 / 256.0), 0x3f82);
            assert_eq!(to_bf16(-2.0), 0xc000);
        }

        #[test]
        fn kernel_matches_reference_on_ragged_shapes() {
            if !available() {
                eprintln!("skipped: this CPU has no AVX-512 BF16");
                return;
            }
            // Odd depth, rows not a multiple of 6, columns not a multiple of 64.
            for &(m, k, n) in &[(1, 3, 5), (7, 9, 70), (13, 384, 128), (6, 64, 64)] {
                let x: Vec<f32> = (0..m * k)
                    .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
                    .collect();
                let w: Vec<f32> = (0..k * n)
                    .map(|i| ((i * 53 % 97) as f32 - 48.0) / 40.0)
                    .collect();
                let panels = Panels::pack(&w, k, n);
                let mut out = vec![f32::NAN; m * n];
                panels.matmul(&x, m, &mut out);
                let want = reference(&x, &w, m, k, n);
                for (i, (got, want)) in out.iter().zip(&want).enumerate() {
                    assert!(
                        (got - want).abs() <= 1e-3 * (1.0 + want.abs()),
                        "({m},{k},{n}) at {i}: {got} vs {want}"
                    );
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub mod int8 {
    use std::arch::x86_64::*;

    use super::round_ties_even_small;

    /// Rows of the input per kernel call and 8-column vectors of output per row: 3 x 2 i32
    /// accumulators, two quads' 2 weight vectors each, two broadcast inputs, the ones and the
    /// products fit the 16 ymm registers. The kernel is bound by the two vector-multiply ports
    /// of Zen 3; 4 x 2 spilled once two quads were in flight (1.41 ms against 1.35 ms for a
    /// 256 x 384 x 1536 product, best of 200).
    const MR: usize = 3;
    const NV: usize = 2;
    /// Output columns per panel.
    const NR: usize = NV * 8;
    /// Largest quantized activation (unsigned) and weight magnitude (signed). `vpmaddubsw`
    /// adds two u8 x i8 products into a saturating i16, and the kernel adds two of those sums
    /// before widening them to i32 (three multiplies per 64 products instead of four: 16 %
    /// faster, 1.35 vs 1.62 ms on the product above), so `4 * A_MAX * W_MAX` must stay within
    /// 32767: 7-bit inputs (as fbgemm's `reduce_range`) and 6-bit weights plus sign. On the
    /// 0.7.0 model and 5,000 held-out NSMC reviews that gives binary accuracy 0.8966 against
    /// f32's 0.8960 (8-bit weights with one sum per widening: 0.8962).
    pub const A_MAX: i32 = 127;
    pub const W_MAX: i32 = 63;
    const _: () = assert!(4 * A_MAX * W_MAX <= i16::MAX as i32);

    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// Symmetric per-column quantization of a weight column: `w ≈ scale * q`.
    fn column_scale(amax: f32) -> f32 {
        if amax > 0.0 {
            amax / W_MAX as f32
        } else {
            1.0
        }
    }

    /// The weight quantized per output column and cut into panels of 16 columns; within a
    /// panel, for each quad of input rows `4p..4p+4`, 16 groups of 4 bytes
    /// `w[4p..4p+4][j]`: one 256-bit load is the i8 operand `vpmaddubsw` multiplies with 4
    /// broadcast u8 inputs, for 8 columns.
    pub struct Panels {
        pub k: usize,
        pub n: usize,
        quads: usize,
        data: Vec<i8>,
        /// Per column (padded to whole panels): the dequantization scale and the sum of the
        /// quantized weights, which removes the inputs' zero point from the integer product.
        scales: Vec<f32>,
        sums: Vec<i32>,
    }

    impl Panels {
        /// From a `[k, n]` weight.
        pub fn pack(w: &[f32], k: usize, n: usize) -> Self {
            Self::pack_out_in(&super::transpose(w, k, n), k, n)
        }

        /// From the same weight stored `[n, k]` (PyTorch's `[out, in]`): each output column's
        /// weights are one contiguous row, read once for the scale and once to quantize.
        pub fn pack_out_in(w: &[f32], k: usize, n: usize) -> Self {
            assert_eq!(w.len(), k * n, "weight shape");
            let quads = k.div_ceil(4);
            let panels = n.div_ceil(NR);
            let mut data = vec![0i8; panels * quads * NR * 4];
            let mut scales = vec![1f32; panels * NR];
            let mut sums = vec![0i32; panels * NR];
            for (col, values) in w.chunks_exact(k.max(1)).take(n).enumerate() {
                let amax = values.iter().fold(0f32, |a, &v| a.max(v.abs()));
                let scale = column_scale(amax);
                scales[col] = scale;
                let (panel, c) = (col / NR, col % NR);
                for (row, &v) in values.iter().enumerate() {
                    let q =
                        round_ties_even_small((v / scale).clamp(-W_MAX as f32, W_MAX as f32)) as i8;
                    data[((panel * quads + row / 4) * NR + c) * 4 + row % 4] = q;
                    sums[col] += i32::from(q);
                }
            }
            Panels {
                k,
                n,
                quads,
                data,
                scales,
                sums,
            }
        }

        /// `out[m, n] ≈ x[m, k] @ w`.
        pub fn matmul(&self, x: &[f32], m: usize, out: &mut [f32]) {
            assert!(available(), "int8 panels on a CPU without AVX2");
            assert_eq!(x.len(), m * self.k, "input shape");
            assert_eq!(out.len(), m * self.n, "output shape");
            let mut a = vec![0u32; m * self.quads];
            let mut row_scale = vec![0f32; m];
            let mut row_zero = vec![0i32; m];
            for (i, (row, dst)) in x
                .chunks_exact(self.k)
                .zip(a.chunks_exact_mut(self.quads))
                .enumerate()
            {
                // SAFETY: `available()` was checked above.
                (row_scale[i], row_zero[i]) = unsafe { quantize_row(row, dst) };
            }
            let mut tail = [0f32; MR * NR];
            let panels = self.n.div_ceil(NR);
            for panel in 0..panels {
                let size = self.quads * NR * 4;
                let w = &self.data[panel * size..(panel + 1) * size];
                let col0 = panel * NR;
                let cols = NR.min(self.n - col0);
                let columns = Columns {
                    scales: &self.scales[col0..col0 + NR],
                    sums: &self.sums[col0..col0 + NR],
                };
                let mut row0 = 0;
                while row0 < m {
                    let rows = MR.min(m - row0);
                    let tile = Rows {
                        a: &a[row0 * self.quads..(row0 + rows) * self.quads],
                        scales: &row_scale[row0..row0 + rows],
                        zeros: &row_zero[row0..row0 + rows],
                    };
                    // Full panels are written straight into `out`; the last, narrower one
                    // goes through a scratch tile.
                    let (dst, ld) = if cols == NR {
                        (&mut out[row0 * self.n + col0..], self.n)
                    } else {
                        (&mut tail[..], NR)
                    };
                    // SAFETY: `available()` was checked above; the kernel reads `rows` rows
                    // of `quads` from `tile.a`, `quads * NR * 4` bytes of `w`, NR columns of
                    // `columns`, and writes `rows` rows of NR floats at stride `ld` into
                    // `dst`, all in bounds: for a full panel, row r writes
                    // out[(row0+r)*n + col0 .. + NR] with col0 + NR <= n.
                    unsafe {
                        match rows {
                            3 => kernel::<3>(&tile, self.quads, w, &columns, dst, ld),
                            2 => kernel::<2>(&tile, self.quads, w, &columns, dst, ld),
                            _ => kernel::<1>(&tile, self.quads, w, &columns, dst, ld),
                        }
                    }
                    if cols < NR {
                        for r in 0..rows {
                            out[(row0 + r) * self.n + col0..(row0 + r) * self.n + col0 + cols]
                                .copy_from_slice(&tail[r * NR..r * NR + cols]);
                        }
                    }
                    row0 += rows;
                }
            }
        }
    }

    struct Rows<'a> {
        /// Quantized inputs, four to a u32, `quads` per row.
        a: &'a [u32],
        scales: &'a [f32],
        zeros: &'a [i32],
    }

    struct Columns<'a> {
        scales: &'a [f32],
        sums: &'a [i32],
    }

    /// The scale and zero point that map `[min(lo, 0), max(hi, 0)]` onto `0..=A_MAX`.
    pub fn row_params(lo: f32, hi: f32) -> (f32, i32) {
        let (lo, hi) = (lo.min(0.0), hi.max(0.0));
        let scale = (hi - lo) / A_MAX as f32;
        if scale > 0.0 {
            (
                scale,
                ((-lo / scale).round_ties_even() as i32).clamp(0, A_MAX),
            )
        } else {
            (1.0, 0)
        }
    }

    /// Quantizes one input row, asymmetric: `x ≈ scale * (q - zero)` with `q` in
    /// `0..=A_MAX`, written four to a u32 (padding zeros, which meet zero weights). Returns
    /// `(scale, zero)`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn quantize_row(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
        // The vector stores below write whole 32-byte blocks of `row`'s length into `dst`.
        assert!(dst.len() * 4 >= row.len(), "quantized row too short");
        let chunks = row.len() / 8;
        let p = row.as_ptr();
        let mut lo = _mm256_set1_ps(0.0);
        let mut hi = _mm256_set1_ps(0.0);
        for c in 0..chunks {
            let v = _mm256_loadu_ps(p.add(c * 8));
            lo = _mm256_min_ps(lo, v);
            hi = _mm256_max_ps(hi, v);
        }
        let mut lanes = [[0f32; 8]; 2];
        _mm256_storeu_ps(lanes[0].as_mut_ptr(), lo);
        _mm256_storeu_ps(lanes[1].as_mut_ptr(), hi);
        let tail = &row[chunks * 8..];
        let lo = lanes[0].iter().chain(tail).fold(0f32, |a, &b| a.min(b));
        let hi = lanes[1].iter().chain(tail).fold(0f32, |a, &b| a.max(b));
        let (scale, zero) = row_params(lo, hi);
        let inv = 1.0 / scale;
        // SAFETY: the same memory as `dst`, exclusively borrowed, viewed as bytes: u8 has no
        // alignment or validity requirement a u32's bytes could miss.
        let bytes: &mut [u8] =
            std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast(), dst.len() * 4);
        let vinv = _mm256_set1_ps(inv);
        let vzero = _mm256_set1_ps(zero as f32);
        let vmax = _mm256_set1_epi8(A_MAX as i8);
        // packs/packus interleave the 128-bit lanes; this puts the 8 dwords back in order.
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        let blocks = row.len() / 32;
        for b in 0..blocks {
            let q = |i: usize| {
                let v = _mm256_loadu_ps(p.add(b * 32 + i * 8));
                _mm256_cvtps_epi32(_mm256_fmadd_ps(v, vinv, vzero))
            };
            let lo16 = _mm256_packs_epi32(q(0), q(1));
            let hi16 = _mm256_packs_epi32(q(2), q(3));
            let u8s = _mm256_min_epu8(_mm256_packus_epi16(lo16, hi16), vmax);
            let u8s = _mm256_permutevar8x32_epi32(u8s, order);
            _mm256_storeu_si256(bytes.as_mut_ptr().add(b * 32).cast(), u8s);
        }
        for (i, &v) in row.iter().enumerate().skip(blocks * 32) {
            bytes[i] = quantize(v, inv, zero);
        }
        bytes[row.len()..].fill(0);
        (scale, zero)
    }

    /// The scalar form of `quantize_row`'s rounding (`vcvtps2dq` rounds to nearest even).
    pub fn quantize(v: f32, inv: f32, zero: i32) -> u8 {
        (v.mul_add(inv, zero as f32).round_ties_even()).clamp(0.0, A_MAX as f32) as u8
    }

    /// `R` rows x 16 columns of output over the whole depth, dequantized:
    /// `out = row_scale * col_scale * (sum_t q_a q_w - zero * sum_t q_w)`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel<const R: usize>(
        rows: &Rows,
        quads: usize,
        w: &[i8],
        cols: &Columns,
        out: &mut [f32],
        ld: usize,
    ) {
        debug_assert!(rows.a.len() >= R * quads && w.len() >= quads * NR * 4);
        debug_assert!(cols.scales.len() >= NR && cols.sums.len() >= NR);
        debug_assert!(out.len() >= (R - 1) * ld + NR);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); NV]; R];
        let a = rows.a.as_ptr();
        let mut wp = w.as_ptr();
        // Two quads at a time: their `vpmaddubsw` sums are added in i16 (within range, see
        // W_MAX) and widened once, three multiplies per 64 products instead of four.
        for p in 0..quads / 2 {
            let mut w0 = [_mm256_setzero_si256(); NV];
            let mut w1 = [_mm256_setzero_si256(); NV];
            for v in 0..NV {
                w0[v] = _mm256_loadu_si256(wp.add(v * 32).cast());
                w1[v] = _mm256_loadu_si256(wp.add(NR * 4 + v * 32).cast());
            }
            for (r, acc_row) in acc.iter_mut().enumerate() {
                let a0 = _mm256_set1_epi32(*a.add(r * quads + 2 * p) as i32);
                let a1 = _mm256_set1_epi32(*a.add(r * quads + 2 * p + 1) as i32);
                for v in 0..NV {
                    let pairs = _mm256_add_epi16(
                        _mm256_maddubs_epi16(a0, w0[v]),
                        _mm256_maddubs_epi16(a1, w1[v]),
                    );
                    acc_row[v] = _mm256_add_epi32(acc_row[v], _mm256_madd_epi16(pairs, ones));
                }
            }
            wp = wp.add(2 * NR * 4);
        }
        if quads % 2 == 1 {
            let p = quads - 1;
            let mut wv = [_mm256_setzero_si256(); NV];
            for (v, slot) in wv.iter_mut().enumerate() {
                *slot = _mm256_loadu_si256(wp.add(v * 32).cast());
            }
            for (r, acc_row) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_epi32(*a.add(r * quads + p) as i32);
                for v in 0..NV {
                    let pairs = _mm256_maddubs_epi16(av, wv[v]);
                    acc_row[v] = _mm256_add_epi32(acc_row[v], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        let o = out.as_mut_ptr();
        for (r, acc_row) in acc.iter().enumerate() {
            let zero = _mm256_set1_epi32(rows.zeros[r]);
            let scale = _mm256_set1_ps(rows.scales[r]);
            for (v, value) in acc_row.iter().enumerate() {
                let sums = _mm256_loadu_si256(cols.sums.as_ptr().add(v * 8).cast());
                let exact = _mm256_sub_epi32(*value, _mm256_mullo_epi32(zero, sums));
                let col_scale = _mm256_loadu_ps(cols.scales.as_ptr().add(v * 8));
                let y = _mm256_mul_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(scale, col_scale));
                _mm256_storeu_ps(o.add(r * ld + v * 8), y);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        impl Panels {
            /// The weight as the kernel sees it: `scale * q`, back in `[k, n]` order.
            fn unpack(&self) -> Vec<f32> {
                let mut w = vec![0f32; self.k * self.n];
                for row in 0..self.k {
                    for col in 0..self.n {
                        let (panel, c) = (col / NR, col % NR);
                        let q = self.data[((panel * self.quads + row / 4) * NR + c) * 4 + row % 4];
                        w[row * self.n + col] = self.scales[col] * f32::from(q);
                    }
                }
                w
            }
        }

        fn product(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
            let mut out = vec![0f64; m * n];
            for i in 0..m {
                for j in 0..n {
                    out[i * n + j] = (0..k)
                        .map(|t| f64::from(x[i * k + t]) * f64::from(w[t * n + j]))
                        .sum();
                }
            }
            out
        }

        /// xorshift64, mapped to [-1, 1).
        fn uniform(seed: &mut u64) -> f32 {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        }

        fn run(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
            let mut out = vec![f32::NAN; m * n];
            Panels::pack(w, k, n).matmul(x, m, &mut out);
            out
        }

        /// Depths not a multiple of 4, rows not a multiple of 4, columns not a multiple of 16.
        const RAGGED: [(usize, usize, usize); 5] = [
            (1, 3, 5),
            (7, 9, 70),
            (13, 384, 128),
            (4, 64, 16),
            (5, 1537, 33),
        ];

        #[test]
        fn integer_inputs_and_weights_in_range_multiply_exactly() {
            if !available() {
                eprintln!("skipped: this CPU has no AVX2");
                return;
            }
            for &(m, k, n) in &RAGGED {
                // Each row spans exactly A_MAX (scale 1) and most rows go negative, so the zero
                // point is used; each column reaches +-W_MAX (scale 1). Everything is then
                // represented exactly, and the integer sums stay below 2^24, exact in f32.
                let x: Vec<f32> = (0..m * k)
                    .map(|i| match i % k {
                        0 => -((i / k * 13 % 40) as f32),
                        1 => (A_MAX - (i / k * 13 % 40) as i32) as f32,
                        _ => {
                            ((i * 37 % 101) as f32 - 30.0).clamp(-((i / k * 13 % 40) as f32), 60.0)
                        }
                    })
                    .collect();
                let w: Vec<f32> = (0..k * n)
                    .map(|i| {
                        if i < n {
                            W_MAX as f32
                        } else {
                            ((i * 53 % (2 * W_MAX as usize + 1)) as f32) - W_MAX as f32
                        }
                    })
                    .collect();
                let want = product(&x, &w, m, k, n);
                let got = run(&x, &w, m, k, n);
                for (i, (got, want)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(f64::from(*got), *want, "({m},{k},{n}) at {i}");
                }
            }
        }

        #[test]
        fn extreme_values_do_not_saturate() {
            if !available() {
                eprintln!("skipped: this CPU has no AVX2");
                return;
            }
            // The largest u8 x i8 pair sums `vpmaddubsw` sees: every input at A_MAX against
            // every weight at +-W_MAX, and the most negative input (zero point A_MAX).
            let (m, k, n) = (3, 64, 16);
            let mut x = vec![A_MAX as f32; m * k];
            x[k..2 * k].fill(-(A_MAX as f32));
            let w: Vec<f32> = (0..k * n)
                .map(|i| {
                    if (i % n) % 2 == 0 {
                        W_MAX as f32
                    } else {
                        -W_MAX as f32
                    }
                })
                .collect();
            let want = product(&x, &w, m, k, n);
            let got = run(&x, &w, m, k, n);
            for (got, want) in got.iter().zip(&want) {
                assert_eq!(f64::from(*got), *want);
            }
        }

        #[test]
        fn packing_round_trips_weights_on_the_grid_and_rounds_the_rest() {
            let (k, n) = (9, 70);
            // Column j is scale_j times integers in -W_MAX..=W_MAX, one of them at W_MAX.
            let on_grid: Vec<f32> = (0..k * n)
                .map(|i| {
                    let (row, col) = (i / n, i % n);
                    let q = if row == 0 {
                        W_MAX
                    } else {
                        ((i * 53) % (2 * W_MAX as usize + 1)) as i32 - W_MAX
                    };
                    (q as f32) * (0.01 * (col + 1) as f32 / W_MAX as f32)
                })
                .collect();
            let panels = Panels::pack(&on_grid, k, n);
            for (a, b) in panels.unpack().iter().zip(&on_grid) {
                assert!((a - b).abs() <= 1e-6 * b.abs(), "{a} vs {b}");
            }
            for col in 0..n {
                let sum: i32 = (0..k)
                    .map(|row| (on_grid[row * n + col] / panels.scales[col]).round() as i32)
                    .sum();
                assert_eq!(panels.sums[col], sum, "column {col}");
            }
            // Off the grid, each weight moves by at most half a step; an all-zero column stays 0.
            let mut w: Vec<f32> = (0..k * n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 77.0)
                .collect();
            (0..k).for_each(|row| w[row * n + 3] = 0.0);
            let panels = Panels::pack(&w, k, n);
            for (i, (a, b)) in panels.unpack().iter().zip(&w).enumerate() {
                assert!(
                    (a - b).abs() <= panels.scales[i % n] / 2.0 * 1.0001,
                    "{i}: {a} vs {b}"
                );
            }
            assert!((0..k).all(|row| panels.unpack()[row * n + 3] == 0.0));
        }

        #[test]
        fn vector_quantization_matches_the_scalar_rounding() {
            if !available() {
                eprintln!("skipped: this CPU has no AVX2");
                return;
            }
            // 77 values: two 32-value blocks and a scalar tail; halves to test ties to even.
            let row: Vec<f32> = (0..77)
                .map(|i| (i as f32 - 20.0) * 0.5 + 0.25 * (i % 3) as f32)
                .collect();
            let mut dst = vec![0u32; 20];
            // SAFETY: AVX2 and FMA are present, checked above.
            let (scale, zero) = unsafe { quantize_row(&row, &mut dst) };
            let lo = row.iter().copied().fold(0f32, f32::min);
            let hi = row.iter().copied().fold(0f32, f32::max);
            assert_eq!((scale, zero), row_params(lo, hi));
            let bytes: Vec<u8> = dst.iter().flat_map(|q| q.to_le_bytes()).collect();
            for (i, &v) in row.iter().enumerate() {
                assert_eq!(bytes[i], quantize(v, 1.0 / scale, zero), "value {i}: {v}");
                assert!((scale * (f32::from(bytes[i]) - zero as f32) - v).abs() <= scale * 0.5001);
            }
            assert!(bytes[77..].iter().all(|&b| b == 0), "padding");
            // A row of zeros quantizes to zeros.
            let mut dst = vec![u32::MAX; 3];
            // SAFETY: as above.
            assert_eq!(unsafe { quantize_row(&[0.0; 10], &mut dst) }, (1.0, 0));
            assert_eq!(dst, [0, 0, 0]);
        }

        #[test]
        fn product_is_within_the_quantization_bound_on_ragged_shapes() {
            if !available() {
                eprintln!("skipped: this CPU has no AVX2");
                return;
            }
            for &(m, k, n) in &RAGGED {
                let mut seed = 0x9e37_79b9_7f4a_7c15u64;
                // Inputs skewed positive (as after GELU), weights centred, like the encoder's.
                let x: Vec<f32> = (0..m * k).map(|_| uniform(&mut seed) * 2.0 + 0.5).collect();
                let w: Vec<f32> = (0..k * n).map(|_| uniform(&mut seed) * 0.05).collect();
                let panels = Panels::pack(&w, k, n);
                let want = product(&x, &w, m, k, n);
                let got = run(&x, &w, m, k, n);
                let (mut err2, mut ref2) = (0f64, 0f64);
                for i in 0..m {
                    let row = &x[i * k..(i + 1) * k];
                    let lo = row.iter().copied().fold(0f32, f32::min);
                    let hi = row.iter().copied().fold(0f32, f32::max);
                    let s_row = f64::from(row_params(lo, hi).0);
                    for j in 0..n {
                        // Each input is off by at most s_row / 2 and each weight by s_col / 2.
                        let s_col = f64::from(panels.scales[j]);
                        let bound: f64 = (0..k)
                            .map(|t| {
                                let (a, b) =
                                    (f64::from(row[t]).abs(), f64::from(w[t * n + j]).abs());
                                a * s_col / 2.0 + b * s_row / 2.0 + s_row * s_col / 4.0
                            })
                            .sum();
                        let (g, r) = (f64::from(got[i * n + j]), want[i * n + j]);
                        assert!(
                            (g - r).abs() <= bound * 1.001 + 1e-5,
                            "({m},{k},{n}) at {i},{j}: {g} vs {r}, bound {bound}"
                        );
                        err2 += (g - r).powi(2);
                        ref2 += r * r;
                    }
                }
                // The bound is the worst case; the errors mostly cancel.
                let relative = (err2 / ref2).sqrt();
                assert!(
                    relative < 0.02,
                    "({m},{k},{n}): relative RMS error {relative}"
                );
            }
        }
    }
}

#[cfg(test)]
mod precision_tests {
    use super::Precision;

    #[test]
    fn precision_names_parse_and_typos_are_rejected() {
        assert_eq!(Precision::parse(""), Some(Precision::Fast));
        assert_eq!(Precision::parse("fast"), Some(Precision::Fast));
        assert_eq!(Precision::parse(" F32 "), Some(Precision::F32));
        // A typo must not silently select an arithmetic: from_env warns and uses `fast`.
        assert_eq!(Precision::parse("fp32"), None);
        assert_eq!(Precision::parse("bf16"), None);
    }
}

#[cfg(test)]
mod rounding_tests {
    use super::round_ties_even_small;

    #[test]
    fn the_shift_rounds_as_round_ties_even_does() {
        // Halves (ties) both ways, values just off them, the weight clamp and exp's range.
        let mut xs = vec![
            0.0f32, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 63.0, -63.0, 126.9,
        ];
        xs.extend((-2_000..=2_000).map(|i| i as f32 * 0.0625));
        xs.extend((-1_000..=1_000).map(|i| i as f32 * 0.127_3 + 0.000_1));
        xs.extend([0.499_999_97, -0.499_999_97, 4_194_303.5, -4_194_303.5]);
        for x in xs {
            assert_eq!(round_ties_even_small(x), x.round_ties_even(), "{x}");
        }
    }
}
