// Binomial heads. Nothing is known about the coin, so the bias gets a uniform Beta(1, 1) prior.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1, 1);
  num_heads ~ binomial(num_flips, bias);
}
