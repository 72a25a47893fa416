//! Products of activations with fixed weight matrices, for the encoder's dense layers.
//!
//! Profiling the f32 encoder showed ~75% of the time in candle's gemm (its AVX2 FMA kernel),
//! so the dense layers are where speed is. CPUs with AVX-512 BF16 (AMD Zen 4+, Intel Cooper
//! Lake / Sapphire Rapids+) have `vdpbf16ps`, which does twice the multiply-adds per
//! instruction of an f32 FMA; [`PackedWeight`] packs a weight once at load time into the
//! layout that instruction wants and runs a register-blocked kernel over it. Inputs are
//! rounded to bf16 per call, products are accumulated in f32. Elsewhere (or when asked for
//! [`Precision::F32`]) the weight stays an f32 candle tensor.

use candle_core::Tensor;

/// Arithmetic used by the dense layers of the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 products (candle's gemm): the reference, matches PyTorch to ~1e-6.
    F32,
    /// bf16 inputs and weights, f32 accumulation, where the CPU has AVX-512 BF16; falls back
    /// to f32 elsewhere. Probabilities move by ~1e-3, labels almost never.
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
}

impl PackedWeight {
    /// `w`: the `[k, n]` weight (already transposed from PyTorch's `[out, in]`).
    pub fn new(w: Tensor, precision: Precision) -> candle_core::Result<Self> {
        #[cfg(target_arch = "x86_64")]
        if precision == Precision::Fast && bf16::available() {
            let (k, n) = w.dims2()?;
            let values = w.flatten_all()?.to_vec1::<f32>()?;
            return Ok(PackedWeight::Bf16(bf16::Panels::pack(&values, k, n)));
        }
        let _ = precision;
        Ok(PackedWeight::F32(w.contiguous()?))
    }

    pub fn is_bf16(&self) -> bool {
        !matches!(self, PackedWeight::F32(_))
    }

    /// `x @ w` for a 2-D `x` of shape `[m, k]`.
    pub fn matmul(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            PackedWeight::F32(w) => x.matmul(w),
            #[cfg(target_arch = "x86_64")]
            PackedWeight::Bf16(panels) => {
                if !x.is_contiguous() {
                    return self.matmul(&x.contiguous()?);
                }
                let (m, k) = x.dims2()?;
                if k != panels.k {
                    candle_core::bail!("matmul: input has {k} columns, weight {} rows", panels.k);
                }
                let (storage, layout) = x.storage_and_layout();
                let candle_core::Storage::Cpu(candle_core::CpuStorage::F32(values)) = &*storage
                else {
                    candle_core::bail!("matmul: input must be f32 on the CPU");
                };
                let start = layout.start_offset();
                let mut out = vec![0f32; m * panels.n];
                panels.matmul(&values[start..start + m * k], m, &mut out);
                drop(storage);
                Tensor::from_vec(out, (m, panels.n), x.device())
            }
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
        pub fn pack(w: &[f32], k: usize, n: usize) -> Self {
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
                                data[base + 2 * c + t] = to_bf16(w[row * n + col]);
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
