// Log-odds of gold on a 1 cm grid follow a random walk (non-centred), so the chance of gold changes gradually and
// gold comes in stretches; each test is wrong with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int G = 100;
  array[num_train] int cell_train;
  array[num_test] int cell_test;
  for (n in 1:num_train) cell_train[n] = min(G, 1 + to_int(floor(train_locs[n] * G / rod_length)));
  for (j in 1:num_test) cell_test[j] = min(G, 1 + to_int(floor(test_locs[j] * G / rod_length)));
}
parameters {
  real z0;
  real<lower=0> sigma;
  vector[G - 1] innov;
  real<lower=0, upper=1> error_rate;
}
transformed parameters {
  vector[G] z = z0 + append_row(0, cumulative_sum(sigma * innov));
}
model {
  z0 ~ normal(0, 2);
  sigma ~ lognormal(log(0.5), 0.6);
  innov ~ std_normal();
  error_rate ~ beta(2, 20);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(z[cell_train]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(z[cell_test]);
}
