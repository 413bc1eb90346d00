// The bend need not be symmetric: bias ~ Beta(a, b) with both shapes exponential(1), so the prior can be
// U-shaped, skewed towards heads or tails, or humped. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0> a;
  real<lower=0> b;
  real<lower=0, upper=1> bias;
}
model {
  a ~ exponential(1);
  b ~ exponential(1);
  bias ~ beta(a, b);
  num_heads ~ binomial(num_flips, bias);
}
