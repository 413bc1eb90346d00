// Prints without end.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
transformed data {
  while (1) {
    print("flooding the output with this line again and again");
  }
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
}
