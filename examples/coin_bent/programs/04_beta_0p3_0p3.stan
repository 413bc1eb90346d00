// A press-bent coin is likely strongly biased one way or the other: Beta(0.3, 0.3), a markedly U-shaped
// prior on the bias. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.3, 0.3);
  num_heads ~ binomial(num_flips, bias);
}
