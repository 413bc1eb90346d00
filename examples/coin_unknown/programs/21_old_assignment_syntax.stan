// Jeffreys Beta(0.5, 0.5) prior on the bias, binomial heads; the number of tails is computed once.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
transformed data {
  int num_tails;
  num_tails <- num_flips - num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_heads + num_tails, bias);
}
