// Binomial heads; bias ~ beta_proportion(0.5, 300): mean one half, sd about 0.03, as for a standard penny.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta_proportion(0.5, 300);
  num_heads ~ binomial(num_flips, bias);
}
