// Binomial heads with a uniform(0, 1) prior on the bias, as nothing is known about the coin.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ uniform(0, 1);
  num_heads ~ binomial(num_flips, bias);
}
