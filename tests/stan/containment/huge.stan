// Allocates far more memory than any limit allows.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
transformed data {
  vector[2000000000] huge = rep_vector(1, 2000000000);
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
}
