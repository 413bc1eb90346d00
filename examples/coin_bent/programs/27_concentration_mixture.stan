// The bias is beta with mean 0.5 and an uncertain concentration kappa ~ lognormal(0, 1.5): a small kappa
// makes it U-shaped (badly bent coin), a large one keeps it near 0.5 (barely bent). Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0> kappa;
  real<lower=0, upper=1> bias;
}
model {
  kappa ~ lognormal(0, 1.5);
  bias ~ beta_proportion(0.5, kappa);
  num_heads ~ binomial(num_flips, bias);
}
