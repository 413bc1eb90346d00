// A wide normal(0.5, 0.5) prior on the bias truncated to [0, 1], nearly flat, so a strongly bent coin is
// as plausible as a fair one. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.5) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
