// Binomial heads with the Jeffreys prior Beta(0.5, 0.5), the standard non-informative prior for a
// binomial proportion when nothing is known about the coin.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_flips, bias);
}
