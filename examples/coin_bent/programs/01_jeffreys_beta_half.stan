// Binomial heads. A bent coin may be far from fair, even nearly always landing on one side, so the bias
// gets the U-shaped Beta(0.5, 0.5) (Jeffreys) prior, which puts extra mass near 0 and 1.
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
