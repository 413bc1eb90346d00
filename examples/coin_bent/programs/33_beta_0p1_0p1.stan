// A coin bent in a machine press probably lands almost always on one side: Beta(0.1, 0.1), which puts
// most of its mass within a few percent of 0 or 1. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.1, 0.1);
  num_heads ~ binomial(num_flips, bias);
}
