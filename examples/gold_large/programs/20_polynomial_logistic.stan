// Logistic regression of gold on a cubic polynomial in (scaled) position; a simple smooth trend along the rod.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  vector[num_train] u = (to_vector(train_locs) - rod_length / 2) / (rod_length / 2);
  vector[num_test] v = (to_vector(test_locs) - rod_length / 2) / (rod_length / 2);
}
parameters {
  vector[4] beta;
}
model {
  beta ~ normal(0, 2.5);
  gold_train ~ bernoulli_logit(beta[1] + beta[2] * u + beta[3] * square(u) + beta[4] * pow(u, 3));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test)
    gold_test[j] = bernoulli_logit_rng(beta[1] + beta[2] * v[j] + beta[3] * square(v[j]) + beta[4] * pow(v[j], 3));
}
