// Computes for (practically) ever while reading its data.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
transformed data {
  real total = 0;
  for (i in 1:2000000000) {
    for (j in 1:2000000000) {
      total += 1e-9;
    }
  }
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2 + 0 * total, 2);
  num_heads ~ binomial(num_flips, bias);
}
