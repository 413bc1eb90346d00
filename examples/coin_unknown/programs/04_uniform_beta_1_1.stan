// The heads count is binomial given the bias; with no knowledge of where the coin came from, every bias
// is equally likely a priori: Beta(1, 1).
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
