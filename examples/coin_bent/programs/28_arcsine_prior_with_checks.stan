// Binomial heads with the arcsine (Beta(0.5, 0.5)) prior for a possibly extreme bent coin; also reports
// the probability that the coin lands heads more than 90% of the time.
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
generated quantities {
  int mostly_heads = bias > 0.9;
  int heads_next_20 = binomial_rng(20, bias);
}
