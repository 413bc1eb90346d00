// No pooling on the raw scale: for each city separately, tomorrow = a[c] + b[c] * today + noise[c], with
// weakly informative priors (slope near one, intercept near zero).
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  vector[num_cities] a;
  vector[num_cities] b;
  vector<lower=0>[num_cities] sigma;
}
model {
  a ~ normal(0, 20);
  b ~ normal(1, 0.5);
  sigma ~ normal(0, 10);
  for (c in 1:num_cities) {
    day2_temp_train[c] ~ normal(a[c] + b[c] * to_vector(day1_temp_train[c]), sigma[c]);
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(a[c] + b[c] * day1_temp_test[c, d], sigma[c]);
    }
  }
}
