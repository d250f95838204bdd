//! Shared by the integration tests: a small deterministic random generator and
//! operand generators biased toward the interesting exponents of a format.

#![allow(dead_code)]

/// xoshiro256** seeded by splitmix64: deterministic, std only.
pub struct Rng([u64; 4]);

impl Rng {
    /// A generator seeded from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 31)
        };
        Self([next(), next(), next(), next()])
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Field widths of a format, for generating operands.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Exponent field width.
    pub exp_bits: u32,
    /// Fraction field width.
    pub frac_bits: u32,
}

/// binary16.
pub const H: Shape = Shape {
    exp_bits: 5,
    frac_bits: 10,
};
/// binary32.
pub const S: Shape = Shape {
    exp_bits: 8,
    frac_bits: 23,
};
/// binary64.
pub const D: Shape = Shape {
    exp_bits: 11,
    frac_bits: 52,
};

impl Shape {
    /// The all-ones exponent field.
    pub fn exp_max(self) -> u64 {
        (1 << self.exp_bits) - 1
    }

    /// The exponent bias.
    pub fn bias(self) -> i64 {
        (1 << (self.exp_bits - 1)) - 1
    }

    /// Assembles a value from its fields (exponent clamped into range).
    pub fn make(self, sign: bool, field: i64, frac: u64) -> u64 {
        let field = field.clamp(0, self.exp_max() as i64) as u64;
        (u64::from(sign) << (self.exp_bits + self.frac_bits))
            | (field << self.frac_bits)
            | (frac & ((1 << self.frac_bits) - 1))
    }

    /// A fraction field: random, or a pattern that makes exact and halfway
    /// results likely.
    pub fn frac(self, rng: &mut Rng) -> u64 {
        let mask = (1u64 << self.frac_bits) - 1;
        match rng.below(8) {
            0 => 0,
            1 => mask,
            2 => 1 << rng.below(u64::from(self.frac_bits)),
            3 => mask >> rng.below(u64::from(self.frac_bits)),
            // Only the top few bits set: sums and products come out exact or halfway.
            4 | 5 => rng.next() & mask & !(mask >> rng.below(u64::from(self.frac_bits) + 1)),
            _ => rng.next() & mask,
        }
    }

    /// An exponent field biased toward the edges of the range.
    pub fn field(self, rng: &mut Rng) -> i64 {
        let max = self.exp_max() as i64;
        let bias = self.bias();
        match rng.below(10) {
            0 => 0,
            1 => max,
            2 => 1 + rng.below(3) as i64,
            3 => max - 1 - rng.below(3) as i64,
            4 => bias + rng.below(9) as i64 - 4,
            _ => rng.below(max as u64 + 1) as i64,
        }
    }

    /// A random operand: sometimes plain random bits, mostly edge-biased.
    pub fn operand(self, rng: &mut Rng) -> u64 {
        if rng.below(8) == 0 {
            return rng.next() & (u64::MAX >> (63 - self.exp_bits - self.frac_bits));
        }
        self.make(rng.below(2) == 1, self.field(rng), self.frac(rng))
    }

    /// A second operand related to `a`: near its exponent (cancellation), or
    /// placing a product or quotient at the underflow or overflow boundary.
    pub fn partner(self, rng: &mut Rng, a: u64) -> u64 {
        let field_a = ((a >> self.frac_bits) & self.exp_max()) as i64;
        let bias = self.bias();
        let jitter = rng.below(7) as i64 - 3;
        let field = match rng.below(6) {
            0 | 1 => field_a + jitter,
            // Product near the smallest normal / subnormal range.
            2 => 1 - field_a + 2 * bias + jitter - rng.below(u64::from(self.frac_bits) + 2) as i64,
            // Product near overflow.
            3 => self.exp_max() as i64 - 1 - field_a + bias + jitter,
            // Quotient near underflow / overflow.
            4 => field_a - 1 + bias + jitter + rng.below(u64::from(self.frac_bits) + 2) as i64,
            _ => field_a - (self.exp_max() as i64 - 2 - bias) + jitter,
        };
        let sign = rng.below(2) == 1;
        if rng.below(4) == 0 {
            // Same fraction, for exact cancellation.
            return self.make(sign, field, a);
        }
        self.make(sign, field, self.frac(rng))
    }

    /// Hand-picked values: zeros, subnormal and normal limits, ones,
    /// infinities, NaNs with payloads.
    pub fn edges(self) -> Vec<u64> {
        let f = self.frac_bits;
        let max = self.exp_max() as i64;
        let bias = self.bias();
        let quiet = 1u64 << (f - 1);
        let mut v = Vec::new();
        for sign in [false, true] {
            v.extend([
                self.make(sign, 0, 0),
                self.make(sign, 0, 1),
                self.make(sign, 0, quiet),
                self.make(sign, 0, (1 << f) - 1),
                self.make(sign, 1, 0),
                self.make(sign, 1, 1),
                self.make(sign, bias, 0),
                self.make(sign, bias, 1),
                self.make(sign, bias, quiet),
                self.make(sign, bias - 1, (1 << f) - 1),
                self.make(sign, bias + 1, quiet >> 1),
                self.make(sign, max - 1, (1 << f) - 1),
                self.make(sign, max - 1, 0),
                self.make(sign, max, 0),
                self.make(sign, max, quiet),
                self.make(sign, max, quiet | 5),
                self.make(sign, max, 1),
                self.make(sign, max, quiet >> 1),
            ]);
        }
        v
    }
}
