// Bent coin: Jeffreys Beta(0.5, 0.5) prior on the bias, U-shaped to allow extreme bias; binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_flips, bias);
}
